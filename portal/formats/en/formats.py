# Dates written out the British way ("11 October 2026"), as GOV.UK and NL Design System do, and
# 24-hour times everywhere ("14:00"), never "2 p.m.".
DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j-n-Y"
SHORT_DATETIME_FORMAT = "j-n-Y H:i"
