"""The double opt-in email: one message with the signed, expiring confirmation link."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from persx.newsletter import tokens
from persx.newsletter.models import Contact

SUBJECT = "Confirm your PersX newsletter subscription"


def send_confirmation(contact: Contact) -> None:
    """Send the confirmation email through Django's email backend (raises when it fails)."""
    context = {
        "confirm_url": tokens.confirmation_url(contact),
        "days": tokens.confirm_max_age().days,
    }
    text = render_to_string("newsletter/email/confirm.txt", context)
    html = render_to_string("newsletter/email/confirm.html", context)
    message = EmailMultiAlternatives(SUBJECT, text, None, [contact.email])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
