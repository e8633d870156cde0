"""The household page's forms: which rules reach me, and a new place for my messages to go."""

from __future__ import annotations

from django import forms

from alerts.channels import private_destination_refusal
from alerts.models import EMAIL, TEXT_BODY, WEBHOOK, Rule


class SubscriptionsForm(forms.Form):
    rules = forms.ModelMultipleChoiceField(
        queryset=Rule.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Tell me when",
    )


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100, initial="My phone")
    kind = forms.ChoiceField(
        choices=[(WEBHOOK, "Push to my phone (ntfy or another webhook)"), (EMAIL, "E-mail")], initial=WEBHOOK
    )
    url = forms.URLField(
        label="Push URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="For ntfy: https://ntfy.sh/ followed by your topic.",
    )
    email = forms.EmailField(
        label="E-mail address", required=False, help_text="Empty: your account's address."
    )

    def clean(self):
        data = super().clean()
        url = data.get("url") or ""
        if data.get("kind") == WEBHOOK:
            if not url:
                self.add_error("url", "A push needs the URL to post to.")
            elif not url.lower().startswith(("http://", "https://")):
                self.add_error("url", "Only http:// and https:// URLs.")
            elif refusal := private_destination_refusal(url):
                self.add_error("url", refusal[:1].upper() + refusal[1:] + ".")
        data["body_format"] = TEXT_BODY
        return data
