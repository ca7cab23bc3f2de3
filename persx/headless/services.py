"""Writes of the headless app: creating and revoking app keys, and noting their use.

Looking a key up (:func:`key_for`, every ``POST /api/decisions`` of an app) reads the live
keys from an in-process snapshot (``persx.caching.snapshot``), not the database. Creating or
revoking a key invalidates it at once in this process and, through the shared cache
(Redis), in every other within ``CHECK_INTERVAL`` (1 s); again after the commit, so no
process keeps a copy read before it. With Redis unreachable the snapshot's TTL
(``PERSX["CACHE_TTL_SECONDS"]``, 60 s) bounds how long another process still accepts a
revoked key. A prefix the snapshot does not hold (a key made a moment ago elsewhere) is
looked up in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from persx.caching.snapshot import Snapshot
from persx.headless.key_format import matches, new_key, prefix_of
from persx.headless.models import AppKey, KeyScope

# ``last_used_at`` is written at most this often per key (not one UPDATE per decision).
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _live_keys() -> dict[str, AppKey]:
    return {k.prefix: k for k in AppKey.objects.filter(revoked_at__isnull=True)}


LIVE_KEYS: Snapshot[dict[str, AppKey]] = Snapshot("headless-app-keys", _live_keys)


def _keys_changed() -> None:
    LIVE_KEYS.invalidate()  # now: this process, and the others within a second
    transaction.on_commit(LIVE_KEYS.invalidate)  # and once the change is visible to them


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: AppKey
    text: str  # shown to the admin once; only its digest is stored


def create_key(
    name: str, scope: str = KeyScope.DECIDE, requests_per_minute: int = 600, by: Any = None
) -> CreatedKey:
    made = new_key()
    key = AppKey.objects.create(
        name=name,
        prefix=made.prefix,
        secret_hash=made.digest,
        scope=KeyScope(scope),
        requests_per_minute=requests_per_minute,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    _keys_changed()
    return CreatedKey(key, made.text)


def revoke_key(key: AppKey) -> None:
    """Refuse the key from now on (idempotent: a revoked key keeps its first revocation time)."""
    AppKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _keys_changed()


def key_for(text: str) -> AppKey | None:
    """The live (not revoked) key whose text this is; None for anything else."""
    prefix = prefix_of(text)
    if prefix is None:
        return None
    key = LIVE_KEYS.get().get(prefix)
    if key is None:  # made since this process's copy: ask the database
        key = AppKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not matches(text, key.secret_hash):
        return None
    return key


def note_use(key: AppKey) -> None:
    """Set ``last_used_at`` (at most once a minute per key: one small UPDATE)."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    AppKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
