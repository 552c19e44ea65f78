"""The month and weekday names in dates ("j F Y", "l j F Y"), as messages of our own catalogue.

Django translates them from its own catalogues, which have no Tigrinya, Somali, Dari or Pashto;
listed here, makemessages puts them into ours. Django looks the same msgids up with gettext.
"""

from django.utils.translation import gettext_noop

MONTHS = [gettext_noop("January"), gettext_noop("February"), gettext_noop("March"), gettext_noop("April"),
          gettext_noop("May"), gettext_noop("June"), gettext_noop("July"), gettext_noop("August"),
          gettext_noop("September"), gettext_noop("October"), gettext_noop("November"),
          gettext_noop("December")]
WEEKDAYS = [gettext_noop("Monday"), gettext_noop("Tuesday"), gettext_noop("Wednesday"), gettext_noop("Thursday"),
            gettext_noop("Friday"), gettext_noop("Saturday"), gettext_noop("Sunday")]
