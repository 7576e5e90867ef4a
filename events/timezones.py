"""Zones planners pick from most often: ASEAN spans UTC+6:30 (Yangon) to UTC+9 (Tokyo)."""

COMMON_ZONES = [
    "Asia/Yangon",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Ho_Chi_Minh",
    "Asia/Phnom_Penh",
    "Asia/Vientiane",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Manila",
    "Asia/Brunei",
    "Asia/Makassar",
    "Asia/Jayapura",
    "Asia/Dili",
    "Asia/Tokyo",
    "Europe/Brussels",
    "America/New_York",
    "UTC",
]
