from django import forms


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254, error_messages={"required": "Enter your email."})
    variant = forms.CharField(max_length=80, required=False)
    next = forms.CharField(max_length=200, required=False)
