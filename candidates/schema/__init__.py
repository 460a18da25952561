"""The region's JSON Schema (draft 2020-12) for candidate payloads, and the validator (SPEC 4.5).

Both come from one place: the schema is generated from the field catalogue and the region's
custom field definitions, and the validator runs that very schema through
``Draft202012Validator`` with the format checker on. A payload the published schema accepts is
therefore accepted by the API, with these server-side additions, each stated in the schema's
descriptions because JSON Schema cannot express them:

* ``dateOfBirth`` must not be in the future (Dutch calendar date);
* ``phone`` must be a *valid* number for its country (libphonenumber's ``is_valid_number``,
  default region NL); the schema's pattern admits the notations, libphonenumber decides per
  country plan;
* an inline ``base64`` file must decode to at most 5 MB (the schema's ``maxLength`` is the
  encoded bound, which allows up to one byte more).

Cross-item rules (the same email or phone twice in one create request) belong to the request,
not to one candidate's payload; ``candidates/apis/write.py`` checks them and says so in the
request body's description.

URIs are checked by ``pattern``: jsonschema enforces ``format: uri`` only with the optional
``rfc3987`` package, and the verdict must not depend on what happens to be installed.

The package: ``build.py`` generates the schemas, ``compiled.py`` caches them and their compiled
validators, ``validation.py`` runs them and words the violations. Import from the package.
"""

from .build import (
    ATTACHMENT_CONTENT_TYPES,
    CREATE,
    DIALECT,
    MAX_ATTACHMENT_BYTES,
    MAX_BASE64_LENGTH,
    MAX_FILENAME,
    MAX_FILES_PER_FIELD,
    MAX_INLINE_INTERACTIONS,
    OPERATIONS,
    UPDATE,
    attachments_json_schema,
    build_candidate_json_schema,
    clearable,
    interaction_json_schema,
)
from .compiled import candidate_json_schema
from .validation import validate_attachments, validate_candidate, validate_interaction

__all__ = [
    "ATTACHMENT_CONTENT_TYPES",
    "CREATE",
    "DIALECT",
    "MAX_ATTACHMENT_BYTES",
    "MAX_BASE64_LENGTH",
    "MAX_FILENAME",
    "MAX_FILES_PER_FIELD",
    "MAX_INLINE_INTERACTIONS",
    "OPERATIONS",
    "UPDATE",
    "attachments_json_schema",
    "build_candidate_json_schema",
    "candidate_json_schema",
    "clearable",
    "interaction_json_schema",
    "validate_attachments",
    "validate_candidate",
    "validate_interaction",
]
