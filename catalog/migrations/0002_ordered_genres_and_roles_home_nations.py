"""A band's genres and a member's roles keep the editors' order: their many-to-many tables gain a `position`;
country fields make room for the home nations' codes (GB-SCT).

The tables and their rows stay (the through models take over `catalog_band_genres` and
`catalog_member_roles`); each band's and member's existing rows are numbered in the order
they were added (row id), which is the order the import and the admin wrote them. Their
history tables are renamed to the through models' history names and numbered the same way.
"""

import django.db.models.deletion
import django_countries.fields
from django.db import migrations, models

import catalog.ordering


def _number(model, owner: str) -> None:
    rows = model.objects.order_by(owner, "pk").values_list("pk", owner)
    position, last = 0, None
    for pk, owner_id in rows.iterator():
        position = position + 1 if owner_id == last else 0
        last = owner_id
        if position:
            model.objects.filter(pk=pk).update(position=position)


def number_existing_rows(apps, schema_editor):
    _number(apps.get_model("catalog", "BandGenre"), "band_id")
    _number(apps.get_model("catalog", "MemberRole"), "member_id")
    _number(apps.get_model("catalog", "HistoricalBandGenre"), "history_id")
    _number(apps.get_model("catalog", "HistoricalMemberRole"), "history_id")


def _through(name: str, owner: str, owner_model: str, target: str, target_model: str, owner_related: str,
             target_related: str, table: str):
    return migrations.CreateModel(
        name=name,
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            (owner, models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name=owner_related,
                                      to=owner_model)),
            (target, models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name=target_related,
                                       to=target_model)),
        ],
        options={"db_table": table, "ordering": ["position", "id"], "unique_together": {(owner, target)}},
    )


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                _through("BandGenre", "band", "catalog.band", "genre", "catalog.genre", "genre_links", "band_links",
                         "catalog_band_genres"),
                migrations.AlterField(
                    model_name="band",
                    name="genres",
                    field=catalog.ordering.OrderedManyToManyField(
                        blank=True, related_name="bands", through="catalog.BandGenre", to="catalog.genre"),
                ),
                _through("MemberRole", "member", "catalog.member", "role", "catalog.role", "role_links",
                         "member_links", "catalog_member_roles"),
                migrations.AlterField(
                    model_name="member",
                    name="roles",
                    field=catalog.ordering.OrderedManyToManyField(
                        blank=True, related_name="members", through="catalog.MemberRole", to="catalog.role"),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="bandgenre", name="position", field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="memberrole", name="position", field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RenameModel(old_name="HistoricalBand_genres", new_name="HistoricalBandGenre"),
        migrations.AlterModelOptions(name="historicalbandgenre", options={"verbose_name": "HistoricalBandGenre"}),
        migrations.AddField(
            model_name="historicalbandgenre", name="position", field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RenameModel(old_name="HistoricalMember_roles", new_name="HistoricalMemberRole"),
        migrations.AlterModelOptions(name="historicalmemberrole", options={"verbose_name": "HistoricalMemberRole"}),
        migrations.AddField(
            model_name="historicalmemberrole", name="position", field=models.PositiveSmallIntegerField(default=0),
        ),
        *[
            migrations.AlterField(  # the history's copies of the through models' keys (no tablespace option now)
                model_name=history, name=name,
                field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to=to),
            )
            for history, name, to in (
                ("historicalbandgenre", "band", "catalog.band"), ("historicalbandgenre", "genre", "catalog.genre"),
                ("historicalmemberrole", "member", "catalog.member"), ("historicalmemberrole", "role", "catalog.role"),
            )
        ],
        *[
            migrations.AlterField(  # room for the home nations' subdivision codes (GB-SCT): catalog/countries.py
                model_name=model, name="country", field=django_countries.fields.CountryField(blank=True, max_length=6),
            )
            for model in ("band", "festival", "historicalband", "historicalfestival")
        ],
        migrations.RunPython(number_existing_rows, migrations.RunPython.noop),
    ]
