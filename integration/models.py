"""Newcomers, the three conditions and the obligation decision (DOMAIN.md §2–§3).

Models hold data and the invariants the database can keep; the rules are in `rules.py` and
every write that changes a person's case goes through `services.py`.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Mod, StrIndex, Substr
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules
from .case_status import CasePhase, MunicipalStage
from .choices import (
    Component,
    DecisionReason,
    DecisionSource,
    Exam,
    ExtensionReason,
    ExtensionStatus,
    Language,
    Outcome,
    PurposeOfStay,
    Regime,
    ResultOutcome,
    ResultSource,
    Route,
    VwArticle,
)
from .guards import PostgresExclusionConstraint, TsTzRange
from .names import searchable_name
from .storage import attachment_storage
from .validators import (
    MUNICIPALITY_CODE_REGEX,
    POSTCODE_REGEX,
    validate_bsn,
    validate_municipality_code,
    validate_not_in_future,
    validate_plain_line,
    validate_plain_text,
    validate_plausible_date,
    validate_postcode,
)


def _bsn_passes_eleven_check():
    """The BSN 11-check as a database expression: 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11).

    A sum divisible by 11 has remainder 0 under both PostgreSQL's and SQLite's modulo, whatever
    its sign. A NULL BSN makes the expression NULL, which a CHECK accepts. Each digit's value is
    its position in "0123456789" minus one: unlike a cast, a stray letter cannot raise a data
    error (it counts as -1 and `newcomer_bsn_nine_digits` refuses the row).
    """
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    total = sum(
        (StrIndex(models.Value("0123456789"), Substr("bsn", position, 1)) - 1) * weight
        for position, weight in enumerate(weights, start=1)
    )
    return Exact(Mod(total, 11), 0)


class ResidencePermitQuerySet(models.QuerySet):
    def current_on(self, day):
        """Permits current on `day`: `rules.permit_is_current` as SQL (a permit that simply ran
        out is found here without any write having refreshed the stored case state)."""
        return self.filter(decision_date__lte=day, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)).filter(
            Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))


class MunicipalRegistrationQuerySet(models.QuerySet):
    def current_on(self, day):
        """Registrations current on `day`: `rules.registration_is_current` as SQL."""
        return self.filter(registered_on__lte=day).filter(Q(deregistered_on__isnull=True) | Q(deregistered_on__gt=day))


def _address_complete(street: str, postcode: str, town: str, name: str) -> models.CheckConstraint:
    """All three parts of an address empty, or all filled in with a valid postcode."""
    empty = Q(**{street: "", postcode: "", town: ""})
    whole = ~Q(**{street: ""}) & Q(**{f"{postcode}__regex": POSTCODE_REGEX}) & ~Q(**{town: ""})
    return models.CheckConstraint(condition=empty | whole, name=name)


class Municipality(models.Model):
    """A Dutch municipality by its CBS code. Codes change when municipalities merge."""

    code = models.CharField(_("CBS code"), max_length=6, unique=True, validators=[validate_municipality_code],
                            help_text=_("For example GM0344 (Utrecht)."))
    name = models.CharField(_("name"), max_length=100, validators=[validate_plain_line])

    # How a newcomer reaches the municipality: printed as the sender of its invitation letter
    # (with the return address), on the newcomer's intake page and in the invitation e-mail,
    # whose replies go to `email`.
    visiting_street = models.CharField(
        _("visiting address: street and number"), max_length=200, blank=True, validators=[validate_plain_line],
        help_text=_("Where the intake appointments take place, for example Stadsplateau 1."))
    visiting_postcode = models.CharField(_("visiting address: postcode"), max_length=7, blank=True,
                                         validators=[validate_postcode])
    visiting_town = models.CharField(_("visiting address: town"), max_length=100, blank=True,
                                     validators=[validate_plain_line])
    postal_address = models.CharField(
        _("postal address"), max_length=200, blank=True, validators=[validate_plain_line],
        help_text=_("A PO box or a street and number, for post and returned letters, for example Postbus 16200."))
    postal_postcode = models.CharField(_("postal address: postcode"), max_length=7, blank=True,
                                       validators=[validate_postcode])
    postal_town = models.CharField(_("postal address: town"), max_length=100, blank=True,
                                   validators=[validate_plain_line])
    phone = models.CharField(_("phone number"), max_length=30, blank=True, validators=[validate_plain_line],
                             help_text=_("The number newcomers call about their appointment, for example 14 030."))
    email = models.EmailField(_("e-mail address"), blank=True,
                              help_text=_("Replies to the invitation e-mails go to this address."))
    website = models.CharField(_("website"), max_length=200, blank=True, validators=[validate_plain_line],
                               help_text=_("As printed on a letter, for example www.utrecht.nl."))

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=MUNICIPALITY_CODE_REGEX), name="municipality_code_format"
            ),
            # An address is printed whole or not at all: never "Retouradres ," on a letter.
            _address_complete("visiting_street", "visiting_postcode", "visiting_town",
                              "municipality_visiting_address_complete"),
            _address_complete("postal_address", "postal_postcode", "postal_town",
                              "municipality_postal_address_complete"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        errors = {}
        for street, postcode, town in (("visiting_street", "visiting_postcode", "visiting_town"),
                                       ("postal_address", "postal_postcode", "postal_town")):
            parts = {name: getattr(self, name) for name in (street, postcode, town)}
            if any(parts.values()) and not all(parts.values()):
                for name, value in parts.items():
                    if not value:
                        errors[name] = _("Fill in the whole address (street or PO box, postcode and town) "
                                         "or leave all of it empty.")
        if errors:
            raise ValidationError(errors)

    @property
    def visiting_address(self) -> str:
        """`Stadsplateau 1, 3521 AZ Utrecht`, or "" when the municipality has not given it."""
        if not self.visiting_street:
            return ""
        return f"{self.visiting_street}, {self.visiting_postcode} {self.visiting_town}"

    @property
    def return_address(self) -> tuple[str, str] | None:
        """Where returned post goes, as the two lines of a sender block (`Postbus 16200`,
        `3500 CE  UTRECHT`): the postal address, else the visiting address; None without either."""
        if self.postal_address:
            return self.postal_address, f"{self.postal_postcode}  {self.postal_town.upper()}"
        if self.visiting_street:
            return self.visiting_street, f"{self.visiting_postcode}  {self.visiting_town.upper()}"
        return None


class Newcomer(models.Model):
    """A person who may have to integrate.

    The case-state fields at the bottom are derived: `services.refresh_case_state` computes
    them with the rules in the same transaction as every change of a condition or decision, so
    the sweep and the overdue list can find people by index instead of re-deriving a million
    cases.
    """

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False,
                                 help_text=_("Opaque id for URLs; the BSN never appears in one."))
    given_names = models.CharField(_("given names"), max_length=200, validators=[validate_plain_line])
    surname = models.CharField(_("surname"), max_length=200, validators=[validate_plain_line])
    # The name as people search it (no accents, lower case; `names.searchable_name`), kept on save.
    name_search = models.CharField(_("name for searching"), max_length=401, editable=False, default="")
    date_of_birth = models.DateField(_("date of birth"), validators=[validate_plausible_date, validate_not_in_future])
    nationality = models.CharField(_("nationality"), max_length=2,
                                   help_text=_("ISO 3166-1 alpha-2 code, for example SY or ER."))
    preferred_language = models.CharField(_("preferred language"), max_length=3, choices=Language.choices,
                                          default=Language.DUTCH)
    email = models.EmailField(_("e-mail address"), blank=True)

    bsn = models.CharField(_("BSN"), max_length=9, unique=True, null=True, blank=True,
                           validators=[validate_bsn])
    bsn_assigned_on = models.DateField(_("BSN assigned on"), null=True, blank=True,
                                       validators=[validate_plausible_date, validate_not_in_future])

    # Derived case state: the SQL mirror of `case_status.case_status`, written only by
    # `services.refresh_case_state` (see the class docstring and `case_status.mirror_columns`).
    conditions_met_on = models.DateField(_("three conditions met on"), null=True, blank=True, editable=False)
    ready_on = models.DateField(_("ready for the letter on"), null=True, blank=True, editable=False)
    # The day the 8 weeks run from: the ready date, or the conditions' date while DUO decides.
    letter_clock_on = models.DateField(_("8 weeks counted from"), null=True, blank=True, editable=False)
    start_letter_owed = models.BooleanField(
        _("start-date letter owed or being assessed"), default=True, editable=False,
        help_text=_("False when the decision says no letter is due (not obliged, exempt, old rules)."),
    )
    start_letter_issued_on = models.DateField(_("start-date letter issued on"), null=True, blank=True,
                                              editable=False)
    obligation_start_on = models.DateField(_("obligation started on"), null=True, blank=True, editable=False)
    obligation_number = models.PositiveSmallIntegerField(_("obligation number"), null=True, blank=True,
                                                         editable=False)
    case_regime = models.CharField(_("regime (decision in force)"), max_length=10, blank=True, editable=False)
    case_phase = models.CharField(_("phase"), max_length=20, choices=CasePhase.choices, default=CasePhase.WAITING,
                                  editable=False)
    start_letter_needs_correction = models.BooleanField(_("start-date letter needs a correction"), default=False,
                                                        editable=False)
    current_municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, blank=True,
                                             related_name="+", editable=False,
                                             verbose_name=_("municipality (current registration)"))
    municipal_stage = models.CharField(_("brede intake and PIP"), max_length=20, blank=True,
                                       choices=MunicipalStage.choices, editable=False)
    pip_due_on = models.DateField(_("PIP due on"), null=True, blank=True, editable=False)
    # The next day the status can change without a new fact; the daily re-derivation's index.
    case_review_on = models.DateField(_("case to be re-derived on"), null=True, blank=True, editable=False)
    # DOMAIN.md §4–§5: the day every requirement was met, and the period's last day with its
    # extensions; the reminder and the notice of an ended period are found by them.
    fulfilled_on = models.DateField(_("obligation fulfilled on"), null=True, blank=True, editable=False)
    period_last_day = models.DateField(_("last day of the integration period"), null=True, blank=True,
                                       editable=False)

    # What the issued start-date letter stated (or its latest correction), kept by the letters
    # app in the transaction that issues it; the case status compares it with the facts.
    issued_letter_date = models.DateField(_("date of the issued start-date letter"), null=True, blank=True,
                                          editable=False)
    issued_letter_start_date = models.DateField(_("start date stated in the letter"), null=True, blank=True,
                                                editable=False)
    issued_letter_regime = models.CharField(_("regime stated in the letter"), max_length=10, blank=True,
                                            editable=False)
    issued_letter_obligation = models.PositiveSmallIntegerField(_("obligation of the issued letter"), null=True,
                                                                blank=True, editable=False)
    correction_requested = models.BooleanField(_("correction of the letter requested"), default=False,
                                               editable=False)
    # Kept by the letters app in the transaction that queues or cancels the start-date letter,
    # so the sweep finds ready people without one through a near-empty index.
    start_letter_requested = models.BooleanField(_("start-date letter requested"), default=False, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("newcomer")
        verbose_name_plural = _("newcomers")
        ordering = ["surname", "given_names"]
        constraints = [
            models.CheckConstraint(condition=Q(bsn__regex=r"^[0-9]{9}$") | Q(bsn__isnull=True),
                                   name="newcomer_bsn_nine_digits"),
            models.CheckConstraint(condition=~Q(bsn="000000000"), name="newcomer_bsn_not_zero"),
            models.CheckConstraint(condition=_bsn_passes_eleven_check(), name="newcomer_bsn_eleven_check"),
            models.CheckConstraint(
                condition=Q(bsn__isnull=True, bsn_assigned_on__isnull=True)
                | Q(bsn__isnull=False, bsn_assigned_on__isnull=False),
                name="newcomer_bsn_with_date",
            ),
            models.CheckConstraint(condition=Q(ready_on__isnull=True) | Q(conditions_met_on__isnull=False),
                                   name="newcomer_ready_needs_conditions"),
            models.CheckConstraint(condition=Q(case_phase__in=CasePhase.values), name="newcomer_phase_valid"),
        ]
        indexes = [
            # The sweep: ready people for whom no start-date letter was requested (normally none).
            models.Index(fields=["id"], name="newcomer_ready_unrequested_idx",
                         condition=Q(ready_on__isnull=False, start_letter_issued_on__isnull=True,
                                     start_letter_requested=False)),
            # The overdue list: the 8 weeks running, no letter issued.
            models.Index(fields=["letter_clock_on", "id"], name="newcomer_awaiting_letter_idx",
                         condition=Q(letter_clock_on__isnull=False, start_letter_issued_on__isnull=True)),
            models.Index(fields=["surname", "given_names"], name="newcomer_name_idx"),
            # The daily re-derivation: people whose status changes today without a new fact.
            models.Index(fields=["case_review_on"], name="newcomer_review_idx",
                         condition=Q(case_review_on__isnull=False)),
            # DUO's corrections to make.
            models.Index(fields=["id"], name="newcomer_needs_correction_idx",
                         condition=Q(start_letter_needs_correction=True)),
            # The municipal work list: per municipality, by stage and due date, or by name. Each
            # index also carries the columns the list filters on, so a page's rows are found by
            # an index-only scan (portal.municipality.selectors.page_query): a name search that
            # matches few people reads index entries, not a heap row for every person passed.
            models.Index(fields=["current_municipality", "municipal_stage", "pip_due_on", "id"],
                         name="newcomer_work_stage_idx", condition=~Q(municipal_stage=""),
                         include=["name_search"]),
            models.Index(fields=["current_municipality", "pip_due_on", "id"],
                         name="newcomer_work_due_idx", condition=~Q(municipal_stage=""),
                         include=["municipal_stage", "name_search"]),
            models.Index(fields=["current_municipality", "surname", "given_names", "id"],
                         name="newcomer_work_name_idx", condition=~Q(municipal_stage=""),
                         include=["municipal_stage", "pip_due_on", "name_search"]),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.name_search = searchable_name(self.full_name)
        if kwargs.get("update_fields") is not None and {"given_names", "surname"} & set(kwargs["update_fields"]):
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_search"}
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        return f"{self.given_names} {self.surname}"

    def clean(self):
        if bool(self.bsn) != bool(self.bsn_assigned_on):
            raise ValidationError({"bsn_assigned_on": _("A BSN and the date it was assigned go together.")})

    def current_permit(self, on=None):
        """The permit that counts on the day: the most recently decided current one."""
        on = on or timezone.localdate()
        for permit in sorted(self.permits.all(), key=lambda p: (p.valid_from, p.pk), reverse=True):
            if rules.permit_is_current(permit.facts(), on):
                return permit
        return None

    def latest_permit(self):
        return max(self.permits.all(), key=lambda p: (p.valid_from, p.pk), default=None)

    def current_registration(self, on=None):
        on = on or timezone.localdate()
        for registration in sorted(self.registrations.all(), key=lambda r: (r.registered_on, r.pk), reverse=True):
            if rules.registration_is_current(registration.facts(), on):
                return registration
        return None

    def current_decision(self):
        """The decision in force: the latest one (decisions are never edited, only superseded)."""
        return max(self.decisions.all(), key=lambda d: (d.decided_on, d.pk), default=None)


class ResidencePermit(models.Model):
    """A residence permit as reported by the IND. A person may have several over time."""

    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="permits",
                                 verbose_name=_("newcomer"))
    residence_title = models.PositiveSmallIntegerField(
        _("BRP residence title (table 56)"), choices=[(code, str(code)) for code in rules.RESIDENCE_TITLES]
    )
    article = models.CharField(_("Vw2000 article"), max_length=4, choices=VwArticle.choices, editable=False)
    purpose = models.CharField(_("purpose of stay"), max_length=24, choices=PurposeOfStay.choices)
    decision_date = models.DateField(_("decision date (IND)"),
                                     validators=[validate_plausible_date, validate_not_in_future])
    valid_from = models.DateField(_("valid from"), validators=[validate_plausible_date])
    valid_until = models.DateField(_("valid until"), null=True, blank=True, validators=[validate_plausible_date])
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True, validators=[validate_plausible_date])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResidencePermitQuerySet.as_manager()

    class Meta:
        verbose_name = _("residence permit")
        verbose_name_plural = _("residence permits")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                                   name="permit_valid_until_after_from"),
            models.CheckConstraint(condition=Q(article__in=VwArticle.values), name="permit_article_valid"),
            models.CheckConstraint(condition=Q(purpose__in=PurposeOfStay.values), name="permit_purpose_valid"),
            models.CheckConstraint(condition=Q(residence_title__in=rules.RESIDENCE_TITLES),
                                   name="permit_residence_title_valid"),
        ]

    def __str__(self):
        return f"{self.get_article_display()} {self.valid_from:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        # The article follows from the residence title; one source of truth.
        self.article = rules.vw_article_for_residence_title(self.residence_title)
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("A permit cannot end before it starts.")
        if self.withdrawn_on and self.decision_date and self.withdrawn_on < self.decision_date:
            errors["withdrawn_on"] = _("A permit cannot be withdrawn before it was granted.")
        if errors:
            raise ValidationError(errors)

    def facts(self) -> rules.PermitFacts:
        article = self.article or rules.vw_article_for_residence_title(self.residence_title)
        return rules.PermitFacts(article, self.purpose, self.decision_date, self.valid_from,
                                 self.valid_until, self.withdrawn_on)


class MunicipalRegistration(models.Model):
    """A registration in the BRP of a municipality. A person may move, so there may be several."""

    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="registrations",
                                 verbose_name=_("newcomer"))
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="registrations",
                                     verbose_name=_("municipality"))
    street = models.CharField(_("street"), max_length=200, validators=[validate_plain_line])
    house_number = models.CharField(_("house number"), max_length=20, validators=[validate_plain_line])
    postcode = models.CharField(_("postcode"), max_length=7, validators=[validate_postcode],
                                help_text=_("Four digits, a space and two capitals, for example 3511 AB."))
    town = models.CharField(_("town"), max_length=100, validators=[validate_plain_line])
    registered_on = models.DateField(_("registered on"), validators=[validate_plausible_date, validate_not_in_future])
    deregistered_on = models.DateField(_("deregistered on"), null=True, blank=True,
                                       validators=[validate_plausible_date, validate_not_in_future])
    # BRP: the deregistration was a departure abroad (emigration), which ends an obligation.
    moved_abroad = models.BooleanField(_("left the Netherlands"), default=False,
                                       help_text=_("The deregistration was a departure abroad (BRP)."))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MunicipalRegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("municipal registration")
        verbose_name_plural = _("municipal registrations")
        ordering = ["-registered_on"]
        constraints = [
            models.CheckConstraint(condition=Q(postcode__regex=POSTCODE_REGEX), name="registration_postcode_format"),
            models.CheckConstraint(
                condition=Q(deregistered_on__isnull=True) | Q(deregistered_on__gte=models.F("registered_on")),
                name="registration_deregistered_after_registered",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "newcomer"], name="registration_municipality_idx"),
            # The municipal work list reads a municipality's registrations in date order.
            models.Index(fields=["municipality", "registered_on", "newcomer"],
                         name="registration_municipality_day"),
        ]

    def __str__(self):
        return f"{self.municipality.name} {self.registered_on:%Y-%m-%d}"

    def clean(self):
        if self.registered_on and self.deregistered_on and self.deregistered_on < self.registered_on:
            raise ValidationError({"deregistered_on": _("Deregistration cannot come before registration.")})

    def facts(self) -> rules.RegistrationFacts:
        return rules.RegistrationFacts(self.registered_on, self.deregistered_on)

    @property
    def postcode_town_line(self):
        """Letter address line: `1234 AB  PLAATS` (two spaces, town in capitals; DOMAIN.md §6)."""
        return f"{self.postcode}  {self.town.upper()}"


class ObligationDecision(models.Model):
    """Whether and under which act a person must integrate. Never edited: a new decision
    supersedes the old one, so the history stays."""

    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="decisions",
                                 verbose_name=_("newcomer"))
    regime = models.CharField(_("regime"), max_length=10, choices=Regime.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=DecisionReason.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000, validators=[validate_plain_text])
    decided_on = models.DateField(_("decided on"), validators=[validate_plausible_date, validate_not_in_future])
    source = models.CharField(_("source"), max_length=14, choices=DecisionSource.choices,
                              default=DecisionSource.DUO_STAFF)
    # DOMAIN.md §8 ▶: a regime that does not fit the obligation's start needs an explicit reason.
    regime_override_reason = models.CharField(_("reason to deviate from the regime of the dates"), max_length=500,
                                              blank=True, validators=[validate_plain_text])
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("obligation decision")
        verbose_name_plural = _("obligation decisions")
        ordering = ["-decided_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(regime__in=Regime.values), name="decision_regime_valid"),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="decision_outcome_valid"),
            models.CheckConstraint(condition=Q(reason__in=DecisionReason.values), name="decision_reason_valid"),
            # Voluntary integration is by definition not an obligation.
            models.CheckConstraint(condition=~Q(regime=Regime.VOLUNTARY, outcome=Outcome.OBLIGED),
                                   name="decision_voluntary_not_obliged"),
            models.CheckConstraint(
                condition=Q(source=DecisionSource.REGISTRY_FEED) | Q(decided_by__isnull=False),
                name="decision_staff_has_author",
            ),
        ]
        indexes = [
            # The municipal work list: people obliged under the 2021 act.
            models.Index(fields=["newcomer"], name="decision_wi2021_obliged_idx",
                         condition=Q(regime=Regime.WI2021, outcome=Outcome.OBLIGED)),
        ]

    def __str__(self):
        return f"{self.get_regime_display()}: {self.get_outcome_display()}"

    def facts(self) -> rules.DecisionFacts:
        return rules.DecisionFacts(self.regime, self.outcome)


class IntakeKind(models.TextChoices):
    INTERVIEW = "INTERVIEW", _("intake interview")
    LBT = "LBT", _("learnability test (LBT)")


class IntakeStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    COMPLETED = "completed", _("attended")
    NO_SHOW = "no_show", _("did not attend")
    CANCELLED = "cancelled", _("cancelled")


# Appointments that still occupy their officer and room.
BOOKED_STATUSES = (IntakeStatus.PLANNED, IntakeStatus.COMPLETED)


class IntakeAppointment(models.Model):
    """One part of the brede intake (WI2021): the interview or the learnability test.

    No officer and no room is booked twice at the same time: on PostgreSQL an exclusion
    constraint (migration 0003) keeps that, elsewhere the scheduling service checks it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="intakes",
                                 verbose_name=_("newcomer"))
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="intakes",
                                     verbose_name=_("municipality"))
    kind = models.CharField(_("kind"), max_length=10, choices=IntakeKind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("location (room)"), max_length=200, validators=[validate_plain_line])
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="intakes",
                                verbose_name=_("officer"))
    status = models.CharField(_("status"), max_length=10, choices=IntakeStatus.choices, default=IntakeStatus.PLANNED)
    invitation_sent_at = models.DateTimeField(_("invitation sent at"), null=True, blank=True)
    # The appointment as one event in the person's calendar (RFC 5545/5546): the UID stays the
    # same for the intake's whole life (a moved appointment carries it over to its successor)
    # and the SEQUENCE goes up with every change (moved: the successor's is one higher;
    # cancelled: one higher than the last invitation), so a calendar app updates or removes
    # the one event it has instead of keeping a stale one.
    calendar_uid = models.UUIDField(_("calendar event UID"), default=uuid.uuid4, editable=False)
    calendar_sequence = models.PositiveIntegerField(_("calendar event sequence"), default=0, editable=False)
    cancellation_sent_at = models.DateTimeField(_("cancellation e-mail sent at"), null=True, blank=True)
    outcome_notes = models.TextField(_("outcome notes"), blank=True, max_length=2000, validators=[validate_plain_text])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("intake appointment")
        verbose_name_plural = _("intake appointments")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="intake_ends_after_start"),
            models.CheckConstraint(condition=Q(kind__in=IntakeKind.values), name="intake_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=IntakeStatus.values), name="intake_status_valid"),
            # Each version of a calendar event is one appointment, and an event is planned at
            # one time and place at most: a calendar never holds two live copies of an intake.
            models.UniqueConstraint(fields=["calendar_uid", "calendar_sequence"],
                                    name="intake_calendar_version_unique"),
            models.UniqueConstraint(fields=["calendar_uid"], condition=Q(status="planned"),
                                    name="intake_one_planned_per_calendar_event"),
            # No officer and no room is booked twice at the same time.
            PostgresExclusionConstraint(
                name="intake_officer_not_double_booked", condition=Q(status__in=BOOKED_STATUSES),
                expressions=[("officer", RangeOperators.EQUAL),
                             (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS)]),
            PostgresExclusionConstraint(
                name="intake_room_not_double_booked", condition=Q(status__in=BOOKED_STATUSES),
                expressions=[("municipality", RangeOperators.EQUAL), ("location", RangeOperators.EQUAL),
                             (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS)]),
        ]
        indexes = [
            models.Index(fields=["municipality", "starts_at"], name="intake_municipality_day_idx"),
            models.Index(fields=["newcomer", "starts_at"], name="intake_newcomer_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("An appointment must end after it starts.")})


class PersonalPlan(models.Model):
    """The personal integration and participation plan (PIP, WI2021 art 16). A revision is a new
    row that refers to the first plan; the first plan's date fixes the integration period."""

    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="plans",
                                 verbose_name=_("newcomer"))
    plan_date = models.DateField(_("date of the plan"), validators=[validate_plausible_date, validate_not_in_future])
    route = models.CharField(_("route"), max_length=10, choices=Route.choices)
    exams = models.JSONField(_("exams and modules required"), default=list, blank=True,
                             help_text=_("Exam codes, for example reading, listening, writing, speaking, knm."))
    pvt_required = models.BooleanField(_("participation statement (PVT) required"), default=True)
    map_required = models.BooleanField(_("labour market module (MAP) required"), default=True)
    revision_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="revisions", verbose_name=_("revision of"))
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("written by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personal plan (PIP)")
        verbose_name_plural = _("personal plans (PIP)")
        ordering = ["plan_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["newcomer"], condition=Q(revision_of__isnull=True),
                                    name="pip_one_first_plan_per_newcomer"),
            models.CheckConstraint(condition=Q(route__in=Route.values), name="pip_route_valid"),
        ]

    def __str__(self):
        return f"PIP {self.get_route_display()} {self.plan_date:%Y-%m-%d}"

    @property
    def exam_labels(self) -> list[str]:
        labels = dict(Exam.choices)
        return [str(labels.get(code, code)) for code in self.exams]


class ContactMoment(models.Model):
    """A person contacted DUO, for example about a missing letter (recorded by DUO staff)."""

    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="contacts",
                                 verbose_name=_("newcomer"))
    contacted_on = models.DateField(_("contacted on"), validators=[validate_plausible_date, validate_not_in_future])
    subject = models.CharField(_("subject"), max_length=200, validators=[validate_plain_line])
    note = models.TextField(_("note"), blank=True, max_length=2000, validators=[validate_plain_text])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact moment")
        verbose_name_plural = _("contact moments")
        ordering = ["-contacted_on", "-pk"]

    def __str__(self):
        return f"{self.contacted_on:%Y-%m-%d} {self.subject}"


class Result(models.Model):
    """One result of an exam, module or the route's final step (DOMAIN.md §5), recorded by DUO
    staff or imported from the exam system. Never edited: a new attempt is a new row. The exam
    system's result id makes an import idempotent."""

    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="results",
                                 verbose_name=_("newcomer"))
    component = models.CharField(_("exam or module"), max_length=20, choices=Component.choices)
    taken_on = models.DateField(_("date"), validators=[validate_plausible_date, validate_not_in_future])
    outcome = models.CharField(_("outcome"), max_length=12, choices=ResultOutcome.choices)
    source = models.CharField(_("source"), max_length=12, choices=ResultSource.choices,
                              default=ResultSource.DUO_STAFF)
    external_id = models.CharField(_("result id in the exam system"), max_length=64, blank=True,
                                   validators=[validate_plain_line])
    note = models.CharField(_("note"), max_length=500, blank=True, validators=[validate_plain_text])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["-taken_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(component__in=Component.values), name="result_component_valid"),
            models.CheckConstraint(condition=Q(outcome__in=ResultOutcome.values), name="result_outcome_valid"),
            models.CheckConstraint(condition=Q(source__in=ResultSource.values), name="result_source_valid"),
            # An import is idempotent: one row per result of the exam system.
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""),
                                    name="result_external_id_unique"),
            # Imported results carry the exam system's id; staff record theirs by hand.
            models.CheckConstraint(condition=~Q(source=ResultSource.EXAM_IMPORT, external_id=""),
                                   name="result_import_has_external_id"),
        ]
        indexes = [models.Index(fields=["newcomer", "taken_on"], name="result_newcomer_idx")]

    def __str__(self):
        return f"{self.get_component_display()} {self.taken_on:%Y-%m-%d}: {self.get_outcome_display()}"


def _attachment_name(instance, filename):
    """A random name: the person's own file name (which may hold their name or BSN) is not kept
    on disk, only its extension."""
    extension = ".pdf" if filename.lower().endswith(".pdf") else ".jpg"
    return f"extensions/{uuid.uuid4().hex}{extension}"


class ExtensionRequest(models.Model):
    """A request for more time (verlenging, Wi2021 art 12) and DUO's decision on it. A granted
    request moves the period's last day to `new_last_day`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="extension_requests",
                                 verbose_name=_("newcomer"))
    reason = models.CharField(_("reason"), max_length=20, choices=ExtensionReason.choices)
    explanation = models.TextField(_("explanation"), max_length=2000, validators=[validate_plain_text])
    attachment = models.FileField(_("attachment"), storage=attachment_storage, upload_to=_attachment_name,
                                  blank=True, max_length=200)
    attachment_type = models.CharField(_("attachment type"), max_length=40, blank=True)
    requested_on = models.DateField(_("requested on"))
    period_last_day = models.DateField(_("last day of the period when requested"))
    status = models.CharField(_("status"), max_length=10, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.REQUESTED)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    new_last_day = models.DateField(_("new last day of the period"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for the refusal"), max_length=2000, blank=True,
                                      validators=[validate_plain_text])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=ExtensionReason.values), name="extension_reason_valid"),
            models.CheckConstraint(condition=Q(status__in=ExtensionStatus.values), name="extension_status_valid"),
            # One open request per person at a time.
            models.UniqueConstraint(fields=["newcomer"], condition=Q(status=ExtensionStatus.REQUESTED),
                                    name="extension_one_open_request"),
            # A decision says what was decided: a later end, or why not.
            models.CheckConstraint(
                condition=(~Q(status=ExtensionStatus.REQUESTED)
                           | Q(decided_on__isnull=True, new_last_day__isnull=True))
                & (~Q(status=ExtensionStatus.GRANTED)
                   | Q(decided_on__isnull=False, new_last_day__gt=models.F("period_last_day")))
                & (~Q(status=ExtensionStatus.REFUSED)
                   | (Q(decided_on__isnull=False, new_last_day__isnull=True) & ~Q(refusal_reason=""))),
                name="extension_decision_complete"),
        ]
        indexes = [
            # DUO's work list: open requests, oldest first.
            models.Index(fields=["requested_on", "id"], name="extension_open_idx",
                         condition=Q(status=ExtensionStatus.REQUESTED)),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} {self.requested_on:%Y-%m-%d}: {self.get_status_display()}"
