from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from persx.access.lazy_view import lazy_view
from persx.api.root import api
from persx.content import views as content_views
from persx.email_delivery import views as email_views
from persx.headless.demo_page import headless_demo
from persx.health import views as health_views
from persx.leads import views as lead_views
from persx.privacy import views as privacy_views
from persx.profiles import views as profile_views

urlpatterns = [
    path("health/live", health_views.live, name="health-live"),
    path("health/ready", health_views.ready, name="health-ready"),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/", api.urls),
    # Lazy: persx.monitoring.views also holds the health dashboard (charts, statistics).
    path("metrics", lazy_view("persx.monitoring.views.metrics"), name="metrics"),
    path("start/", profile_views.start, name="start"),
    path("start/industry/", profile_views.set_industry, name="set-industry"),
    path("start/forget/", profile_views.forget_me, name="forget-me"),
    path("privacy/", privacy_views.privacy_page, name="privacy"),
    path("privacy/consent/", privacy_views.set_consent, name="privacy-consent"),
    path("privacy/export/", profile_views.export_me, name="privacy-export"),
    path("privacy/erase/", profile_views.forget_me, name="privacy-erase"),
    path("contact/submit/", lead_views.submit, name="contact-submit"),
    path("newsletter/", include("persx.newsletter.urls")),
    path("headless-demo/", headless_demo, name="headless-demo"),
    path("e/<str:token>/", email_views.click, name="email-click"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="profiles/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Site pages: Wagtail's serve, routed from the process's route table (persx.content.views);
    # Wagtail's own _util/ views stay Wagtail's.
    re_path(r"^(?!_util/)((?:[\w\-]+/)*)$", content_views.serve, name="wagtail_serve"),
    path("", include(wagtail_urls)),
]
