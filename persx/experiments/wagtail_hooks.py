"""Experiments and bandits in the Wagtail admin: lists with status and scope, structured edit
forms."""

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from persx.experiments.bandit_forms import BanditForm
from persx.experiments.forms import ExperimentForm
from persx.experiments.models import Bandit, Experiment


def status_panel(help_text: str) -> MultiFieldPanel:
    """The status and the times ``lifecycle`` stamps: the same for every kind of experiment."""
    return MultiFieldPanel(
        [
            FieldPanel("status"),
            FieldPanel("started_at", read_only=True),
            FieldPanel("stopped_at", read_only=True),
        ],
        heading="Status",
        help_text=help_text,
    )


class ExperimentViewSet(SnippetViewSet):
    model = Experiment
    icon = "tasks"
    menu_label = "Experiments"
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["name", "key", "status", "scope_kind", "scope_value", "started_at"]
    list_filter = ["status", "scope_kind"]
    search_fields = ["name", "key", "hypothesis"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [FieldPanel("name"), FieldPanel("key"), FieldPanel("hypothesis")],
                heading="Experiment",
            ),
            status_panel("Starting stamps the start time; stopping stamps the stop time."),
            MultiFieldPanel(
                [
                    FieldPanel("scope_kind"),
                    FieldPanel("scope_block_type"),
                    FieldPanel("scope_page"),
                ],
                heading="Scope",
            ),
            MultiFieldPanel([FieldPanel("arms"), FieldPanel("coverage")], heading="Arms"),
            MultiFieldPanel(
                [
                    FieldPanel("target_industries"),
                    FieldPanel("target_sources"),
                    FieldPanel("requires_profile"),
                    FieldPanel("requires_consent"),
                ],
                heading="Targeting",
                help_text="Visitors without a profile never enter a personalization experiment.",
            ),
            MultiFieldPanel(
                [FieldPanel("primary_metric"), FieldPanel("secondary_metrics")],
                heading="Metrics",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("randomization_unit"),
                    FieldPanel("namespace"),
                    FieldRowPanel([FieldPanel("namespace_start"), FieldPanel("namespace_end")]),
                    FieldPanel("bucket_version"),
                    FieldPanel("sequential_tuning_n"),
                ],
                heading="Assignment",
            ),
        ],
        base_form_class=ExperimentForm,
    )


register_snippet(ExperimentViewSet)


class BanditViewSet(SnippetViewSet):
    model = Bandit
    icon = "pick"
    menu_label = "Bandits"
    menu_order = 311
    add_to_admin_menu = True
    list_display = ["name", "key", "status", "block_type", "audience", "started_at"]
    list_filter = ["status", "block_type"]
    search_fields = ["name", "key", "audience"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel([FieldPanel("name"), FieldPanel("key")], heading="Bandit"),
            status_panel(
                "Starting stores allocation version 1 (equal shares); "
                "persx_bandit_update adds a version from the rollups on its schedule."
            ),
            MultiFieldPanel(
                [
                    FieldPanel("block_type"),
                    FieldPanel("scope_page"),
                    FieldPanel("audience"),
                    FieldPanel("arms"),
                ],
                heading="What it chooses",
                help_text="A running experiment that admits a visitor on the same block "
                "takes precedence over the bandit.",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("metric"),
                    FieldPanel("guardrail_metric"),
                    FieldPanel("guardrail_drop"),
                ],
                heading="Metrics",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("holdback_share"),
                    FieldPanel("min_exploration"),
                    FieldRowPanel([FieldPanel("retire_below"), FieldPanel("retire_after")]),
                ],
                heading="Allocation",
            ),
        ],
        base_form_class=BanditForm,
    )


register_snippet(BanditViewSet)
