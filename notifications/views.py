"""A person's own notification preferences, edited in the admin's look."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .models import NotificationPreference
from .selectors import preference_for


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["review_outcomes", "review_digest", "publishing_alerts"]


@staff_member_required
def preferences(request):
    preference = preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your notification preferences are saved.")
        return HttpResponseRedirect(reverse("notifications:preferences"))
    context = {
        **admin.site.each_context(request),
        "title": "Notification preferences",
        "form": form,
        "email": request.user.email,
    }
    return TemplateResponse(request, "notifications/preferences.html", context)
