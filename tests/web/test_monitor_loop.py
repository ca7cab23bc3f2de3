"""`persx_monitor --every` repeats its pass (what `make run` uses to keep the dashboard alive)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_every_repeats_the_pass_until_the_count() -> None:
    out = StringIO()
    call_command("persx_monitor", "--every", "1", "--passes", "2", stdout=out)
    assert out.getvalue().count("pass done in") == 2


@pytest.mark.django_db
def test_one_pass_by_default() -> None:
    out = StringIO()
    call_command("persx_monitor", stdout=out)
    assert out.getvalue().count("pass done in") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "field"), [(["--every", "0.5"], "--every"), (["--passes", "-1"], "--passes")]
)
def test_bad_loop_options_are_named(args: list[str], field: str) -> None:
    with pytest.raises(CommandError, match=field):
        call_command("persx_monitor", *args)
