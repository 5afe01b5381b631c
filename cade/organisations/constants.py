"""Fixed choices for organisation profiles."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class OrganisationType(StrEnum):
    NGO = "ngo"
    COMMUNITY_NETWORK = "community_network"
    NETWORK = "network"
    ACADEMIC = "academic"
    SOCIAL_ENTERPRISE = "social_enterprise"
    INFORMAL_GROUP = "informal_group"


ORGANISATION_TYPE_LABELS = {
    OrganisationType.NGO: _l("Non-governmental organisation"),
    OrganisationType.COMMUNITY_NETWORK: _l("Community network"),
    OrganisationType.NETWORK: _l("Network or umbrella organisation"),
    OrganisationType.ACADEMIC: _l("Academic institution"),
    OrganisationType.SOCIAL_ENTERPRISE: _l("Social enterprise or SME"),
    OrganisationType.INFORMAL_GROUP: _l("Informal group"),
}


class StakeholderGroup(StrEnum):
    CIVIL_SOCIETY = "civil_society"
    TECHNICAL_COMMUNITY = "technical_community"
    ACADEMIA = "academia"
    PRIVATE_SECTOR = "private_sector"
    GOVERNMENT = "government"


STAKEHOLDER_GROUP_LABELS = {
    StakeholderGroup.CIVIL_SOCIETY: _l("Civil society"),
    StakeholderGroup.TECHNICAL_COMMUNITY: _l("Technical community"),
    StakeholderGroup.ACADEMIA: _l("Academia"),
    StakeholderGroup.PRIVATE_SECTOR: _l("Private sector"),
    StakeholderGroup.GOVERNMENT: _l("Government"),
}


class StaffBand(StrEnum):
    NONE = "0"
    SMALL = "1-5"
    MEDIUM = "6-20"
    LARGE = "21-50"
    XLARGE = "51+"


STAFF_BAND_LABELS = {
    StaffBand.NONE: _l("Volunteers only"),
    StaffBand.SMALL: _l("1–5 staff"),
    StaffBand.MEDIUM: _l("6–20 staff"),
    StaffBand.LARGE: _l("21–50 staff"),
    StaffBand.XLARGE: _l("More than 50 staff"),
}


class FocusArea(StrEnum):
    CONNECTIVITY = "connectivity"
    DIGITAL_RIGHTS = "digital_rights"
    DIGITAL_SECURITY = "digital_security"
    GOVERNANCE = "internet_governance"
    GENDER = "gender"
    EDUCATION = "education"
    ENVIRONMENT = "environment"
    HEALTH = "health"
    MEDIA = "media"
    OTHER = "other"


FOCUS_AREA_LABELS = {
    FocusArea.CONNECTIVITY: _l("Connectivity and access"),
    FocusArea.DIGITAL_RIGHTS: _l("Digital rights"),
    FocusArea.DIGITAL_SECURITY: _l("Digital security"),
    FocusArea.GOVERNANCE: _l("Internet governance and policy"),
    FocusArea.GENDER: _l("Gender equality"),
    FocusArea.EDUCATION: _l("Education and skills"),
    FocusArea.ENVIRONMENT: _l("Environment"),
    FocusArea.HEALTH: _l("Health"),
    FocusArea.MEDIA: _l("Media and information"),
    FocusArea.OTHER: _l("Other"),
}


class MembershipRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


MEMBERSHIP_ROLE_LABELS = {
    MembershipRole.OWNER: _l("Owner"),
    MembershipRole.MEMBER: _l("Member"),
}

# Languages an organisation may work in (ISO 639-1); names come from Babel.
WORKING_LANGUAGES = ["en", "fr", "es", "pt", "ar", "ru", "zh", "sw", "hi", "bn", "id", "tr", "uk", "am", "ha"]
