"""The scale generator keeps the shape of a legacy export while multiplying it."""

import json

from bench.scale import main, scale_legacy

SOURCE = {
    "bands": [{"key": "maiden", "name": "Maiden", "genres": ["Heavy"], "members": [{"name": "Bruce", "role": "Vocals"}]},
              {"key": "priest", "name": "Priest"}],
    "festivals": [{"key": "fest", "name": "Fest", "bands": [{"key": "maiden", "name": "Maiden"},
                                                             {"key": "ghost", "name": "Ghost"}]}],
    "extra": {"kept": True},
}


def test_copies_are_suffixed_and_lineups_point_at_their_own_copy():
    scaled = scale_legacy(SOURCE, 3)
    assert [b["key"] for b in scaled["bands"]] == ["maiden", "priest", "maiden-x2", "priest-x2", "maiden-x3", "priest-x3"]
    assert scaled["bands"][2]["name"] == "Maiden (x2)" and scaled["bands"][2]["genres"] == ["Heavy"]
    assert [f["key"] for f in scaled["festivals"]] == ["fest", "fest-x2", "fest-x3"]
    assert scaled["festivals"][2]["bands"] == [{"key": "maiden-x3", "name": "Maiden (x3)"},
                                               {"key": "ghost-x3", "name": "Ghost (x3)"}]
    assert scaled["extra"] == {"kept": True}
    assert SOURCE["bands"][0]["key"] == "maiden"  # the source is not changed


def test_the_command_writes_the_scaled_file(tmp_path):
    source, target = tmp_path / "in.json", tmp_path / "out.json"
    source.write_text(json.dumps(SOURCE))
    assert main(["--generate", "2", str(source), str(target)]) == 0
    assert len(json.loads(target.read_text())["bands"]) == 4
