"""The groups claim (scope `groups`) and the profile claims berth reads."""
from django.utils.translation import gettext_lazy as _
from oidc_provider.lib.claims import ScopeClaims


class GroupsClaims(ScopeClaims):
    info_groups = (_("Groups"), _("The groups you are in."))

    def scope_groups(self):
        return {"groups": [g.name for g in self.user.groups.order_by("name")]}


def userinfo(claims, user):
    claims["preferred_username"] = user.username
    claims["email"] = user.email or None
    return claims
