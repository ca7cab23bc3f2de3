"""Planted browsing behaviour for simulated visitors: what a visitor of a known industry
does before (or instead of) answering the start form.

Each channel fires with its own probability and, when it fires, points at the true
industry with its own reliability, else at a random other industry (noise), so some
visitors carry weak or conflicting evidence and a calibrated model must abstain for them:

- **landing page**: an industry-specific blog post (one tagged with the industry), else
  the home page;
- **UTM campaign** on the landing URL (``utm_campaign=<industry>-growth``);
- **posts read**: 0-2 more posts, each tagged with the true industry or another;
- **CTA click**: the visitor reaches the contact page through an industry-specific CTA
  (``/contact/?cta=<industry>``), else directly.

The result is a list of paths to request in order; the last one is the contact page.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True, slots=True)
class Channel:
    fires: float  # chance the visitor shows this behaviour at all
    truthful: float  # chance that, when shown, it points at the true industry


LANDING = Channel(0.7, 0.8)
UTM = Channel(0.5, 0.85)
POST_READ = Channel(0.6, 0.75)  # per extra post (up to 2)
CTA = Channel(0.6, 0.9)
EXTRA_POSTS = 2


def _pick(rng: random.Random, channel: Channel, truth: str, industries: Sequence[str]) -> str:
    """The industry this behaviour points at ("" when the visitor does not show it)."""
    if rng.random() >= channel.fires:
        return ""
    others = [i for i in industries if i != truth]
    return truth if rng.random() < channel.truthful or not others else rng.choice(others)


def _post(rng: random.Random, posts: Mapping[str, Sequence[str]], industry: str) -> str:
    urls = posts.get(industry) or ()
    return rng.choice(list(urls)) if urls else ""


def planted_paths(rng: random.Random, truth: str, posts: Mapping[str, Sequence[str]]) -> list[str]:
    """The pages a visitor of industry ``truth`` requests, in order (contact page last).

    ``posts`` maps each industry to the URLs of the blog posts tagged with it.
    """
    industries = sorted(posts)
    landing_industry = _pick(rng, LANDING, truth, industries)
    landing = _post(rng, posts, landing_industry) if landing_industry else "/"
    campaign = _pick(rng, UTM, truth, industries)
    if campaign:
        landing += "?" + urlencode({"utm_campaign": f"{campaign}-growth"})
    paths = [landing or "/"]
    for _ in range(EXTRA_POSTS):
        read = _pick(rng, POST_READ, truth, industries)
        url = _post(rng, posts, read) if read else ""
        if url:
            paths.append(url)
    clicked = _pick(rng, CTA, truth, industries)
    paths.append("/contact/?" + urlencode({"cta": clicked}) if clicked else "/contact/")
    return paths
