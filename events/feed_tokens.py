"""Personal feed addresses: the token model, and the pages where a signed-in user creates one
(its secret shown once) or revokes one."""

import hashlib
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from .models import TEXT, TimeStamped


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


class FeedTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_secret(self, secret):
        return self.active().select_related("user").filter(token_hash=FeedToken.hash(secret)).first()


class FeedToken(TimeStamped):
    """A personal calendar feed secret. Only its hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, default="Calendar", validators=TEXT)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False, help_text=_("To recognise the token."))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = FeedTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("personal feed token")
        verbose_name_plural = _("personal feed tokens")
        constraints = [models.CheckConstraint(condition=Q(token_hash__length=64), name="feedtoken_hash_is_sha256")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def get_absolute_url(self):
        return reverse("admin:events_feedtoken_change", args=[self.pk])

    @staticmethod
    def hash(secret):
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name="Calendar"):
        """Create a token; the secret is returned once and never stored."""
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, token_hash=cls.hash(secret), prefix=secret[:8])
        return token, secret

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at", "updated"])

    @property
    def is_active(self):
        return self.revoked_at is None
