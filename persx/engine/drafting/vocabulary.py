"""Known English words, for telling a name from a capitalised word.

A sentence's first word is capitalised whatever it is, so "Kaiser doubled its bookings"
and "Patient volume doubled" look alike to a capital-letter test. The claim checker
reads a sentence-initial word as ordinary English when its lower-case form is in
:data:`COMMON_WORDS` (function words, the verbs copy starts sentences with, the nouns of
B2B marketing) or is used in lower case elsewhere in the draft or its fact sheet; any
other sentence-initial capitalised word is a name and must be one of the sheet's
entities. :data:`ACRONYMS` are trade abbreviations a draft may use without the sheet
naming them (they name no customer, product or standard).
"""

from __future__ import annotations

_FUNCTION_WORDS = """
a about above across after again against all almost along also although always am among an
and another any anyone anything are around as at away back be because been before being
below between beyond both but by can could did do does doing done down during each either
else enough even ever every everyone everything few for from further had has have having he
her here hers herself him his how however i if in inside instead into is it its itself just
least less let let's like many may me might more most much must my neither never next no
none nor not now of off often on once one only onto or other others our ours ourselves out
over own per quite rather same several she should since so some someone something soon
still such than that the their theirs them themselves then there these they this those
though through throughout thus to today together tomorrow too toward towards under unless
until up upon us very via want was we we'll we're we've well were what whatever when
whenever where wherever whether which while who whoever whole whom whose why will with
within without would yet you you'll you're you've your yours yourself
"""

_VERBS = """
accelerate activate adapt add adjust align analyse analyze answer apply approve ask assign
attach attribute automate avoid balance bring build built buy calculate cancel capture
change check choose clean close coordinate collect combine come compare complete connect
consolidate convert count create cut decide define deliver deploy design designing
detect discover display do drive earn edit eliminate enable encourage end engage enter
estimate expand expect experiment explain explore export extend fill filter find finish fit
fits fix follow fund gate gather generate get give go grow guide handle help hide identify
implement implements import improve include increase integrate integrates invite join keep
know knows launch lead learn let lift limit link load look lower make manage map match
measure meet merge migrate monitor move need nurture offer open optimise optimize order
own owns pay personalise personalize personalized personalizing pick plan play prepare
prevent price prioritize prioritized protect prove provide publish put qualify qualifying
raise rank reach read recover reduce reach refine release remove reorder repeat replace
report request rescue reserve restart restore resume retain return reuse review reward
route run save scale schedule score search see segment sell send serve set share shift ship
ships shorten show showing sign simplify skip solve speed split start step stop streamline
submit support swap switch sync take talk target teach tell test testing tie track trade
trigger try turn understand ungate unlock unsubscribe update upgrade use validate verify walk
want watch win work works write writes trust bet believe call carry cover deal earn fall feel
gain hear hit hold hope keep land leave lose mean miss note offer pass pick point pull push
reach remain remember rise say seem shape sit stand stay sound spend spot suggest suit
think throw touch treat understand wait wish wonder worry ask add allow appear arrive become
begin bring claim cost count cross drop ease fail fear form grab hand hire hurt imagine
involve jump kick kill lack last lay lie listen live love mark matter mind mix notice
prefer press pay promise quote rely rest ring sort stick suffer tend tie wake wear
"""

_NOUNS_AND_ADJECTIVES = """
account accounts active activation ad ads age agency agent analytics application
applications approval audience audit average banking banks benchmark best better bigger
booking bookings brand brands business businesses care cart carts case checkout client
clients clinic clinics company companies compliance compliant consultation content conversion
conversions cost costs customer customers daily data day days default demand demo demos
digital direct director early easy every experience experimentation experiments faster fast
families financial first form forms free full generic great gross growth guest guests
guided head health healthcare high holdout hospital hospitals ideas identity industry
industries insurance institutions journey journeys larger last lead leads lessons life
loyalty marketers marketing meetings member members midweek mobile modern monthly new next
online page pages paid parts patient patients people persona personas personalization
plans platform playbooks popular post pre prices pricing product products prospects
provider providers qualified quarterly quick rate rates real recent research retail
retailers returning revenue right room rooms sales second server service services
shoppers simple site small smart social subscription subscriptions system systems team
teams tier traffic travel travellers travelers trial trials trip trips typical value
variant variants version versioned versioning visit visitor visitors weekly
able action actual additional annual automatic available aware basic big bold broad busy
calm central certain cheap clear close common complete complex correct current custom
deep different difficult due easier entire every exact extra fair familiar final fine
flexible fresh friendly fewer future global good hard helpful hidden huge ideal important
individual instant key known large late leading likely little live local long low main
major manual minimal modern multiple native natural necessary normal obvious old open
optional ordinary other perfect personal plain possible powerful practical previous
primary private proven public rapid ready recent regular relevant reliable safe secure
separate serious short similar single slow smaller special specific standard steady
strong successful sure total true trusted unique useful usual various whole wide worth
wrong young dynamic preventive ancillary ancillaries orthopedics comparison click exit
generation decisions expansion seat book certify chosen
answer area benefit budget campaign channel choice cohort copy decision detail effort
email event example fact feature field flow funnel goal guide hour idea impact insight
intent layer level link list market message method metric minute model moment month need
option outcome owner partner path point policy price problem process profile program
project proof quarter question reason result risk rule screen session signal source stage
story strategy structure study task term time tool type user way week world year
"""

_NUMBER_WORDS = """
two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
twice thrice hundred hundreds thousand thousands million millions dozen dozens half double triple
"""

COMMON_WORDS: frozenset[str] = frozenset(
    (_FUNCTION_WORDS + _VERBS + _NOUNS_AND_ADJECTIVES + _NUMBER_WORDS).split()
)

_ACRONYM_LIST = """
    a/b abm aov api b2b b2c cac cltv cms crm cro csv cta cx dtc faq id kpi ltv mql pdp phi
    plg ppc roi dr mr mrs ms saas seo sku sla sql svp ui ux vp
"""
ACRONYMS: frozenset[str] = frozenset(_ACRONYM_LIST.split())


def _bases(word: str) -> list[str]:
    """``word`` and what it may be inflected from (trusted → trust, trusts → trust)."""
    bases = [word]
    for suffix, replacement in (("ied", "y"), ("ies", "y"), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix):
            bases.append(word[: -len(suffix)] + replacement)
    for suffix in ("ed", "d", "es", "s", "er", "r", "est", "st", "ly"):
        if word.endswith(suffix):
            bases.append(word[: -len(suffix)])
    return bases


def is_common(word: str, also_known: frozenset[str] = frozenset()) -> bool:
    """``word`` (any case; a hyphenated word by its first part; an inflected word by its
    base) is ordinary English."""
    lowered = word.lower().replace("’", "'")
    candidates = {lowered, *_bases(lowered.split("-")[0])}
    return any(w in COMMON_WORDS or w in also_known for w in candidates)
