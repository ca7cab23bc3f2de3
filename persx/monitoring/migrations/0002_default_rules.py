"""The default alert rules (editable in the admin afterwards; a copy, so later code changes
do not rewrite history)."""

from django.db import migrations

DEFAULT_RULES = [{'key': 'personalization-rate',
  'name': 'Personalization rate below 70%',
  'measure': 'personalization_rate',
  'direction': 'below',
  'threshold': 0.7,
  'clear_level': 0.75,
  'min_sample': 200,
  'description': 'Profiled page views with at least one personalized block (or held back by '
                 'design). Fires when the upper 95% bound is below 70%.'},
 {'key': 'error-rate',
  'name': 'Decision error rate above 0.5%',
  'measure': 'error_rate',
  'direction': 'above',
  'threshold': 0.005,
  'clear_level': 0.0025,
  'min_sample': 400,
  'description': 'error + timeout decisions of all block decisions. Fires when the lower 95% '
                 'bound is above 0.5%.'},
 {'key': 'fallback-jump',
  'name': 'Fallback rate jumped (2× the previous week)',
  'measure': 'fallback_rate',
  'direction': 'above',
  'threshold': 2.0,
  'clear_level': 1.5,
  'relative_to_baseline': True,
  'min_sample': 400,
  'for_minutes': 15,
  'description': "Profiled blocks served generic (not by design), against the previous 7 days' "
                 'rate of the same scope.'},
 {'key': 'start-form-drop',
  'name': 'Start form completion dropped 30%',
  'measure': 'start_form_completion',
  'direction': 'below',
  'threshold': 0.7,
  'clear_level': 0.85,
  'relative_to_baseline': True,
  'per_industry': False,
  'window_minutes': 240,
  'min_sample': 100,
  'for_minutes': 30,
  'description': 'Start-form completions of views, against the previous 7 days.'},
 {'key': 'persistence-drop',
  'name': 'Profile persistence below 80%',
  'measure': 'persistence_rate',
  'direction': 'below',
  'threshold': 0.8,
  'clear_level': 0.9,
  'window_minutes': 240,
  'min_sample': 100,
  'for_minutes': 30,
  'description': 'Returning profiled visitors (seen in the 7 days before) still with the same '
                 'industry and persona.'},
 {'key': 'srm',
  'name': 'Sample ratio mismatch (p < 0.001)',
  'measure': 'srm',
  'direction': 'below',
  'threshold': 0.001,
  'clear_level': 0.01,
  'per_industry': False,
  'min_sample': 100,
  'description': "Chi-square test of each running experiment's traffic split."},
 {'key': 'stale-variants',
  'name': 'Stale variants (not edited for 90 days)',
  'measure': 'stale_variants',
  'direction': 'above',
  'threshold': 0,
  'clear_level': 0,
  'per_industry': False,
  'min_sample': 1,
  'description': 'Variants on pages without a new revision for 90 days.'},
 {'key': 'web-vitals',
  'name': 'Web Vitals regression of a variant (p75 20% worse than generic)',
  'measure': 'web_vitals',
  'direction': 'above',
  'threshold': 1.2,
  'clear_level': 1.1,
  'per_industry': False,
  'window_minutes': 1440,
  'min_sample': 100,
  'description': "75th percentile of LCP, INP (and CLS + 0.05) of a variant over generic's."}]


def seed_rules(apps, schema_editor):
    AlertRule = apps.get_model("persx_monitoring", "AlertRule")
    for rule in DEFAULT_RULES:
        AlertRule.objects.get_or_create(key=rule["key"], defaults=rule)


def remove_rules(apps, schema_editor):
    AlertRule = apps.get_model("persx_monitoring", "AlertRule")
    AlertRule.objects.filter(key__in=[r["key"] for r in DEFAULT_RULES], incidents__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("persx_monitoring", "0001_initial")]
    operations = [migrations.RunPython(seed_rules, remove_rules)]
