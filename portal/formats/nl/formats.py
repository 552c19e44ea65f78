# Dutch: "11 oktober 2026" and "14:00" (Django's own Dutch formats say the same; kept here so
# every language of the portal has its formats in one place).
DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y H:i"
