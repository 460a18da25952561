"""The back-office theme (django-unfold): branding, sidebar and colours. Every asset it loads is
served from the installed packages' static files; nothing comes from a CDN."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

_NAV = "backoffice.navigation"

UNFOLD = {
    "SITE_TITLE": _("Onderwijsregio back office"),
    "SITE_HEADER": _("Onderwijsregio"),
    "SITE_SUBHEADER": _("Back office"),
    "SITE_SYMBOL": "school",
    "SITE_URL": None,
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "BORDER_RADIUS": "6px",
    "COLORS": {
        # Tailwind "sky/blue"-like primary: calm, high contrast on white at 600+.
        "primary": {
            "50": "oklch(97% .014 254.604)",
            "100": "oklch(93.2% .032 255.585)",
            "200": "oklch(88.2% .059 254.128)",
            "300": "oklch(80.9% .105 251.813)",
            "400": "oklch(70.7% .165 254.624)",
            "500": "oklch(62.3% .214 259.815)",
            "600": "oklch(54.6% .245 262.881)",
            "700": "oklch(48.8% .243 264.376)",
            "800": "oklch(42.4% .199 265.638)",
            "900": "oklch(37.9% .146 265.522)",
            "950": "oklch(28.2% .091 267.935)",
        },
    },
    "SITE_FAVICONS": [
        {
            "rel": "icon",
            "type": "image/svg+xml",
            "href": lambda request: static("backoffice/favicon.svg"),
        }
    ],
    "STYLES": [lambda request: static("backoffice/backoffice.css")],
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Daily work"),
                "items": [
                    {
                        "title": _("Dashboard"),
                        "icon": "dashboard",
                        "link": reverse_lazy("admin:index"),
                    },
                    {
                        "title": _("Pipeline board"),
                        "icon": "view_kanban",
                        "link": reverse_lazy("admin:board"),
                        "permission": f"{_NAV}.can_view_candidates",
                    },
                    {
                        "title": _("Candidates"),
                        "icon": "person",
                        "link": reverse_lazy("admin:candidates_candidate_changelist"),
                        "permission": f"{_NAV}.can_view_candidates",
                    },
                    {
                        "title": _("Interactions"),
                        "icon": "forum",
                        "link": reverse_lazy("admin:candidates_interaction_changelist"),
                        "permission": f"{_NAV}.can_view_interactions",
                    },
                ],
            },
            {
                "title": _("Engine and webhooks"),
                "items": [
                    {
                        "title": _("Mutations"),
                        "icon": "sync_alt",
                        "link": reverse_lazy("admin:mutations_mutation_changelist"),
                        "permission": f"{_NAV}.can_view_mutations",
                    },
                    {
                        "title": _("Deliveries"),
                        "icon": "send",
                        "link": reverse_lazy("admin:webhooks_delivery_changelist"),
                        "permission": f"{_NAV}.can_view_deliveries",
                    },
                    {
                        "title": _("Webhook subscriptions"),
                        "icon": "webhook",
                        "link": reverse_lazy("admin:webhooks_subscription_changelist"),
                        "permission": f"{_NAV}.can_view_subscriptions",
                    },
                ],
            },
            {
                "title": _("Regions and access"),
                "items": [
                    {
                        "title": _("Regions"),
                        "icon": "map",
                        "link": reverse_lazy("admin:regions_region_changelist"),
                        "permission": f"{_NAV}.can_view_regions",
                    },
                    {
                        "title": _("API keys"),
                        "icon": "key",
                        "link": reverse_lazy("admin:regions_apikey_changelist"),
                        "permission": f"{_NAV}.can_view_api_keys",
                    },
                    {
                        "title": _("Staff memberships"),
                        "icon": "badge",
                        "link": reverse_lazy("admin:regions_staffmembership_changelist"),
                        "permission": f"{_NAV}.is_superuser",
                    },
                    {
                        "title": _("Users"),
                        "icon": "group",
                        "link": reverse_lazy("admin:auth_user_changelist"),
                        "permission": f"{_NAV}.can_view_users",
                    },
                    {
                        "title": _("Groups"),
                        "icon": "shield_person",
                        "link": reverse_lazy("admin:auth_group_changelist"),
                        "permission": f"{_NAV}.can_view_groups",
                    },
                ],
            },
            {
                "title": _("Platform"),
                "items": [
                    {
                        "title": _("Attachments"),
                        "icon": "attach_file",
                        "link": reverse_lazy("admin:candidates_attachment_changelist"),
                        "permission": f"{_NAV}.can_view_attachments",
                    },
                    {
                        "title": _("Candidate access log"),
                        "icon": "visibility",
                        "link": reverse_lazy("admin:candidates_candidateaccesslog_changelist"),
                        "permission": f"{_NAV}.is_superuser",
                    },
                    {
                        "title": _("Sync states"),
                        "icon": "cloud_sync",
                        "link": reverse_lazy("admin:airtable_syncstate_changelist"),
                        "permission": f"{_NAV}.can_view_sync",
                    },
                    {
                        "title": _("Sync runs"),
                        "icon": "history",
                        "link": reverse_lazy("admin:airtable_syncrun_changelist"),
                        "permission": f"{_NAV}.can_view_sync",
                    },
                    {
                        "title": _("Sync locks"),
                        "icon": "lock",
                        "link": reverse_lazy("admin:airtable_synclock_changelist"),
                        "permission": f"{_NAV}.can_view_sync",
                    },
                ],
            },
        ],
    },
}
