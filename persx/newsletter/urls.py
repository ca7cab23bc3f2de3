from django.urls import path

from persx.newsletter import views

urlpatterns = [
    path("signup/", views.signup, name="newsletter-signup"),
    path("confirm/<str:token>/", views.confirm, name="newsletter-confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="newsletter-unsubscribe"),
]
