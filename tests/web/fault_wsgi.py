"""The PersX WSGI app with a fault switch, for the fault-injection test only.

While the file named by ``PERSX_FAULT_FILE`` exists and holds an industry slug, every block
decision for a visitor of that industry raises (as a broken variant would): the page must
still render, serving generic with reason ``error``. Removing the file removes the fault.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()  # sets Django up before the patch imports models

FAULT_FILE = Path(os.environ["PERSX_FAULT_FILE"])


def _install_fault() -> None:
    from persx.personalization import context

    original = context.decide_block

    def faulty_decide_block(visitor: Any, available: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            industry = FAULT_FILE.read_text().strip()
        except FileNotFoundError:
            industry = ""
        if industry and visitor.profile is not None and visitor.profile.industry == industry:
            raise RuntimeError(f"injected fault for industry {industry}")
        return original(visitor, available, *args, **kwargs)

    context.decide_block = faulty_decide_block  # type: ignore[assignment]


_install_fault()
