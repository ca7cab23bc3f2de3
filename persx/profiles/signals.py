"""On sign-in, tie the visitor's profile to the account so other devices get it back."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from persx.profiles import services


@receiver(user_logged_in, dispatch_uid="persx-link-profile-on-login")
def link_profile_on_login(sender: Any, request: Any, user: Any, **_: Any) -> None:
    state = getattr(request, "visitor", None)
    if state is not None and state.profile is not None:
        services.save_profile(state.profile, user)
    elif state is not None:
        account = services.account_profile(user)
        if account is not None:
            state.remember(account, layer="account")
