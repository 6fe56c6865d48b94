"""The Django admin's pages as a browser meets them, and what they leave in the audit."""

from ooh.audit.models import AccessedPerson, AccessLog

LOGIN = "/admin/login/"
USERS = "/admin/accounts/user/"
FLAGS = "/admin/flags/flag/"
FLAG_VERSIONS = "/admin/flags/flagversion/"


def signed_in(client, user):
    client.force_login(user)
    return client


def page_ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def form_data(response, **changes):
    """What a browser would post back for the admin form page in `response`, with `changes` applied
    (a value of None leaves the field out)."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[form.add_prefix(name)] = form[name].value()
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data[inline_form.add_prefix(name)] = inline_form[name].value()
    data.update(changes)
    # A browser sends nothing for an empty field or an unticked box.
    return {key: value for key, value in data.items() if value is not None and value is not False}


def audit_rows(**filters):
    return list(AccessLog.objects.filter(**filters).order_by("chain_seq"))


def people_of(log):
    return sorted(str(p) for p in AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))


def log_in(client, username, password, address="203.0.113.7"):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )
