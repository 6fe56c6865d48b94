from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "ooh.referrals"
    label = "referrals"
    verbose_name = "Concerns, referrals and the pre-birth protocol"
