"""Pages for change alerts: the follow button's target, the page that manages follows, and unsubscribe.

Unsubscribing needs no sign-in: the link's signed token says whose follows it turns off. A GET only
shows a confirmation (mail scanners fetch links); the POST, from that page or from a mail client
honouring RFC 8058's List-Unsubscribe-Post, turns the email off.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from . import webhooks
from .follows import AlertProfile, Cadence, Follow, resolve_target
from .notify_email import read_unsubscribe_token


class FollowForm(forms.Form):
    meeting = forms.CharField(required=False, max_length=150)
    series = forms.CharField(required=False, max_length=100)
    delegation = forms.CharField(required=False, max_length=2)
    query = forms.CharField(required=False, max_length=500)
    cadence = forms.ChoiceField(choices=Cadence.choices, initial=Cadence.IMMEDIATE, label=gettext_lazy("Alerts"))
    webhook_url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"]
        if url:
            webhooks.check_endpoint(url)
        return url

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        target = resolve_target(
            user=self.user, **{name: cleaned.get(name, "") for name in ("meeting", "series", "delegation", "query")}
        )
        if Follow.objects.filter(user=self.user, **target).exists():
            raise ValidationError(gettext("You already follow this."))
        cleaned["target"] = target
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = AlertProfile
        fields = ["language", "timezone"]


def _back(request, fallback="events:follows"):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


class FollowsView(LoginRequiredMixin, TemplateView):
    """One page that lists a user's follows and their alert settings."""

    template_name = "events/follows.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["follows"] = Follow.objects.filter(user=user).select_related("meeting", "series")
        context.setdefault("profile_form", ProfileForm(instance=AlertProfile.for_user(user)))
        context.setdefault("form", FollowForm(user=user))
        context["cadences"] = Cadence.choices
        return context

    def post(self, request, *args, **kwargs):
        """Follow something (the follow button posts here)."""
        form = FollowForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        follow = Follow(
            user=request.user,
            cadence=form.cleaned_data["cadence"],
            webhook_url=form.cleaned_data["webhook_url"],
            **form.cleaned_data["target"],
        )
        try:
            with transaction.atomic():
                follow.save()
                AlertProfile.for_user(request.user)
        except IntegrityError:
            messages.info(request, gettext("You already follow this."))
            return _back(request)
        messages.success(request, gettext("You now follow “%(target)s”.") % {"target": follow.target_label})
        if follow.webhook_secret:
            message = gettext("Webhook secret (shown once): %(secret)s") % {"secret": follow.webhook_secret}
            messages.info(request, message)
            return redirect("events:follows")
        return _back(request)


class FollowUpdateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        follow = get_object_or_404(Follow, pk=pk, user=request.user)
        if request.POST.get("action") == "delete":
            follow.delete()
            messages.success(request, gettext("You no longer follow “%(target)s”.") % {"target": follow.target_label})
            return _back(request)
        cadence = request.POST.get("cadence", follow.cadence)
        if cadence not in Cadence.values:
            messages.error(request, gettext("Choose immediate or daily alerts."))
            return redirect("events:follows")
        follow.cadence = cadence
        follow.email = request.POST.get("email") == "on"
        follow.save(update_fields=["cadence", "email"])
        messages.success(request, gettext("Saved."))
        return redirect("events:follows")


class AlertProfileView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = ProfileForm(request.POST, instance=AlertProfile.for_user(request.user))
        if not form.is_valid():
            view = FollowsView(request=request, kwargs={}, args=())
            return render(request, view.template_name, view.get_context_data(profile_form=form), status=400)
        form.save()
        messages.success(request, gettext("Saved."))
        return redirect("events:follows")


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """One-click unsubscribe (RFC 8058): the signed token is the credential, no sign-in or CSRF token needed."""

    http_method_names = ["get", "post"]
    template_name = "events/unsubscribe.html"

    def dispatch(self, request, token):
        found = read_unsubscribe_token(token)
        if found is None:
            return render(request, self.template_name, {"invalid": True}, status=404)
        self.user_id, self.follow_ids = found
        self.follows = Follow.objects.filter(user_id=self.user_id, pk__in=self.follow_ids).select_related(
            "meeting", "series"
        )
        return super().dispatch(request, token)

    def get(self, request, token):
        return render(request, self.template_name, {"follows": self.follows, "token": token})

    def post(self, request, token):
        self.follows.update(email=False)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(gettext("Unsubscribed."), content_type="text/plain; charset=utf-8")
        return render(request, self.template_name, {"follows": self.follows, "done": True})
