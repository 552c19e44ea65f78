"""The enumerations of the domain (DOMAIN.md), shared by rules, models and forms."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Regime(models.TextChoices):
    PRE_2013 = "PRE_2013", _("before 2013 (old rules)")
    WI2013 = "WI2013", _("Wet inburgering 2013")
    WI2021 = "WI2021", _("Wet inburgering 2021")
    VOLUNTARY = "VOLUNTARY", _("voluntary integration")


class Outcome(models.TextChoices):
    OBLIGED = "OBLIGED", _("obliged to integrate")
    NOT_OBLIGED = "NOT_OBLIGED", _("not obliged")
    EXEMPT = "EXEMPT", _("exempt (vrijstelling)")
    WAIVED = "WAIVED", _("waived (ontheffing)")


class DecisionReason(models.TextChoices):
    """Why a decision came out the way it did (DOMAIN.md §2)."""

    OBLIGED_BY_RULE = "OBLIGED_BY_RULE", _("meets every condition of the obligation")
    CHOSE_VOLUNTARY = "CHOSE_VOLUNTARY", _("not obliged, chose to integrate")
    EU_EEA_SWISS = "EU_EEA_SWISS", _("EU, EEA or Swiss national")
    TURKISH_WI2013 = "TURKISH_WI2013", _("Turkish national under the 2013 act")
    TEMPORARY_PURPOSE = "TEMPORARY_PURPOSE", _("temporary purpose of stay")
    PERMIT_TYPE = "PERMIT_TYPE", _("residence permit not of type 8a or 8c")
    AGE = "AGE", _("younger than 16 or of state-pension age")
    DUTCH_SCHOOLING = "DUTCH_SCHOOLING", _("8 years or more of Dutch compulsory schooling")
    DUTCH_DIPLOMA = "DUTCH_DIPLOMA", _("diploma from Dutch-taught education")
    MEDICAL = "MEDICAL", _("permanent medical barrier")
    EXCEPTIONAL = "EXCEPTIONAL", _("exceptional circumstances")
    OTHER = "OTHER", _("other (see note)")


class DecisionSource(models.TextChoices):
    DUO_STAFF = "DUO_STAFF", _("decided by DUO staff")
    REGISTRY_FEED = "REGISTRY_FEED", _("derived from the registry feed")


class VwArticle(models.TextChoices):
    """Vreemdelingenwet 2000 article of a residence permit."""

    REGULAR_FIXED_TERM = "8a", _("regular, fixed term (art. 8a)")
    REGULAR_PERMANENT = "8b", _("regular, permanent (art. 8b)")
    ASYLUM_FIXED_TERM = "8c", _("asylum, fixed term (art. 8c)")
    ASYLUM_PERMANENT = "8d", _("asylum, permanent (art. 8d)")
    EU = "EU", _("EU law residence")
    TURKEY = "TR", _("Turkish national (Decision 1/80)")
    NONE = "NONE", _("no residence right")


class PurposeOfStay(models.TextChoices):
    """Purpose of stay as recorded by the IND."""

    FAMILY = "FAMILY", _("family reunification or formation")
    ASYLUM = "ASYLUM", _("asylum")
    HUMANITARIAN = "HUMANITARIAN", _("humanitarian, non-temporary")
    OTHER_NON_TEMPORARY = "OTHER_NON_TEMPORARY", _("other non-temporary purpose")
    STUDY = "STUDY", _("study")
    EMPLOYMENT = "EMPLOYMENT", _("paid employment")
    KNOWLEDGE_MIGRANT = "KNOWLEDGE_MIGRANT", _("highly skilled migrant")
    BLUE_CARD = "BLUE_CARD", _("European Blue Card")
    SEASONAL = "SEASONAL", _("seasonal work")
    INTRA_COMPANY = "INTRA_COMPANY", _("intra-company transfer")
    RESEARCH = "RESEARCH", _("scientific research")
    ORIENTATION_YEAR = "ORIENTATION_YEAR", _("orientation year")
    EXCHANGE = "EXCHANGE", _("exchange")
    MEDICAL_TREATMENT = "MEDICAL_TREATMENT", _("medical treatment")
    FAMILY_OF_TEMPORARY = "FAMILY_OF_TEMPORARY", _("family member of a temporary migrant")


class Route(models.TextChoices):
    """WI2021 routes, fixed in the PIP (DOMAIN.md §5)."""

    B1 = "B1", _("B1-route")
    EDUCATION = "EDUCATION", _("education route (onderwijsroute)")
    Z = "Z", _("Z-route (self-reliance)")


class Exam(models.TextChoices):
    """Exams and modules a PIP can require (DOMAIN.md §5)."""

    READING = "reading", _("reading (B1)")
    LISTENING = "listening", _("listening (B1)")
    WRITING = "writing", _("writing (B1)")
    SPEAKING = "speaking", _("speaking (B1)")
    KNM = "knm", _("knowledge of Dutch society (KNM)")
    COURSE_DIPLOMA = "course_diploma", _("diploma of the bridging course (education route)")


class StepState(models.TextChoices):
    DONE = "done", _("done")
    CURRENT = "current", _("current step")
    NEXT = "next", _("still to come")
    NOT_APPLICABLE = "not_applicable", _("does not apply to you")


class Actor(models.TextChoices):
    YOU = "you", _("you")
    DUO = "duo", _("DUO")
    MUNICIPALITY = "municipality", _("your municipality")
    IND_AND_MUNICIPALITY = "registries", _("the IND and your municipality")


class Language(models.TextChoices):
    """Languages DUO publishes in (DOMAIN.md §7)."""

    DUTCH = "nl", "Nederlands"
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"
    TIGRINYA = "ti", "ትግርኛ"
    SOMALI = "so", "Soomaali"
    ARABIC = "ar", "العربية"
    FARSI = "fa", "فارسی"
    DARI = "prs", "دری"
    PASHTO = "ps", "پښتو"


class Component(models.TextChoices):
    """What a person can complete on their route (DOMAIN.md §5): the exam components, the
    modules and the route's final steps. The level of a language exam follows from the route
    (B1 under the 2021 act, A2 under the 2013 act)."""

    READING = "reading", _("reading")
    LISTENING = "listening", _("listening")
    WRITING = "writing", _("writing")
    SPEAKING = "speaking", _("speaking")
    KNM = "knm", _("knowledge of Dutch society (KNM)")
    COURSE_DIPLOMA = "course_diploma", _("diploma of the bridging course (education route)")
    FINAL_INTERVIEW = "final_interview", _("final interview (Z-route)")
    PVT = "pvt", _("participation statement (PVT)")
    MAP = "map", _("labour market and participation module (MAP)")
    ONA = "ona", _("orientation on the Dutch labour market (ONA)")


class ResultOutcome(models.TextChoices):
    PASSED = "passed", _("passed")
    NOT_PASSED = "not_passed", _("not passed")
    EXEMPTED = "exempted", _("exempted")


class ResultSource(models.TextChoices):
    DUO_STAFF = "duo_staff", _("recorded by DUO staff")
    EXAM_IMPORT = "exam_import", _("imported from the exam system")


class ExtensionReason(models.TextChoices):
    """Why a person asks for more time (Wi2021 art 12)."""

    NO_FAULT = "no_fault", _("delay that is not my fault")
    CHILDBIRTH = "childbirth", _("pregnancy or childbirth")
    ILLNESS = "illness", _("illness")
    SUBSTANTIAL_EFFORT = "substantial_effort", _("I made a substantial effort")


class ExtensionStatus(models.TextChoices):
    REQUESTED = "requested", _("waiting for DUO's decision")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", _("refused")
