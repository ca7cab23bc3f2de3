from django import forms


class LeadForm(forms.Form):
    name = forms.CharField(max_length=120)
    email = forms.EmailField(max_length=254)
    company = forms.CharField(max_length=120, required=False)
    message = forms.CharField(max_length=4000, required=False)
    variant = forms.CharField(max_length=80, required=False)
    next = forms.CharField(max_length=200, required=False)
