from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "zorgbrug.demo"
    label = "demo"
    verbose_name = "Demo data"
