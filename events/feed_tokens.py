"""Personal feed addresses: a signed-in user creates one (its secret shown once) or revokes one."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from .models import (
    FeedToken,
)


class FeedTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, initial="Calendar")


class FeedTokenView(LoginRequiredMixin, TemplateView):
    """The user's own personal feed addresses: create one (shown once) or revoke one."""

    template_name = "events/feeds/tokens.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", FeedTokenForm())
        context["tokens"] = FeedToken.objects.filter(user=self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        form = FeedTokenForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        _token, secret = FeedToken.issue(user=request.user, name=form.cleaned_data["name"])
        feed_path = reverse("events:feed_private", kwargs={"token": secret})
        context = self.get_context_data(
            form=FeedTokenForm(),
            new_feed_url=request.build_absolute_uri(feed_path),
            new_webcal_url=f"webcal://{request.get_host()}{feed_path}",
        )
        response = self.render_to_response(context, status=201)
        response["Cache-Control"] = "no-store"  # the secret is shown once and must not be kept
        return response


class FeedTokenRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        token = get_object_or_404(FeedToken.objects.active(), pk=pk, user=request.user)
        token.revoke()
        messages.success(request, gettext("The feed address “%(name)s” no longer works.") % {"name": token.name})
        return redirect("events:feed_tokens")
