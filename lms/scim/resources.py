"""The SCIM User resource as this site shows it, the discovery documents (RFC 7644 section 4) and
the error body (RFC 7644 section 3.12).

Mapping (RFC 7643 attribute -> person):

- ``id``: the person's id; ``userName``: their sign-in email (lower case, unique);
  ``emails[type eq "work"].value``: the same email; ``name.givenName`` / ``name.familyName``;
  ``title``: job title; ``active``: not a leaver; ``preferredLanguage``: the person's language
  (one of settings.LANGUAGES; a BCP 47 tag sent in it, or in ``locale``, is read by
  ``lms.languages.language_code``, and a language the site does not have is ignored);
- enterprise extension: ``employeeNumber``: employee id; ``department``: the department's name
  (made when it does not exist yet); ``manager.value``: the manager's ``id`` here.

``externalId``, phone numbers, addresses and the other attributes the clients send are accepted
and not kept.
"""

from __future__ import annotations

from django.http import JsonResponse

from lms.models import User

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
CONTENT_TYPE = "application/scim+json"
MAX_RESULTS = 200


class ScimError(Exception):
    """An error answered as RFC 7644 section 3.12 describes."""

    def __init__(self, status: int, detail: str, scim_type: str = ""):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def scim_response(data: dict, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(data, status=status, content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name] = value
    return response


def error_response(error: ScimError) -> JsonResponse:
    body = {"schemas": [ERROR], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if error.status == 401 else {}
    return scim_response(body, status=error.status, **headers)


def user_resource(user: User, base_url: str) -> dict:
    """The User resource of a person (``manager`` and ``department`` read with the row)."""
    location = f"{base_url}/Users/{user.pk}"
    enterprise: dict = {}
    if user.employee_id:
        enterprise["employeeNumber"] = user.employee_id
    if user.department_id:
        enterprise["department"] = user.department.name
    if user.manager_id:
        enterprise["manager"] = {
            "value": str(user.manager_id),
            "$ref": f"{base_url}/Users/{user.manager_id}",
            "displayName": user.manager.get_full_name(),
        }
    resource = {
        "schemas": [CORE, ENTERPRISE],
        "id": str(user.pk),
        "userName": user.email,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": user.get_full_name(),
        },
        "displayName": user.get_full_name(),
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "title": user.job_title,
        "preferredLanguage": user.locale,
        "active": user.is_active,
        ENTERPRISE: enterprise,
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "location": location,
        },
    }
    return resource


def list_response(resources: list[dict], *, total: int, start_index: int) -> dict:
    return {
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def service_provider_config(base_url: str) -> dict:
    return {
        "schemas": [SPC],
        "documentationUri": f"{base_url.rsplit('/scim/', 1)[0]}/",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token made with `manage.py create_scim_token`, sent as Authorization: Bearer.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def _attribute(name: str, kind: str = "string", **extra) -> dict:
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": False,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
        **extra,
    }


def schemas(base_url: str) -> list[dict]:
    user_schema = {
        "schemas": [SCHEMA],
        "id": CORE,
        "name": "User",
        "description": "A person: an employee who trains here.",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server", description="The sign-in email address."),
            _attribute(
                "name",
                "complex",
                subAttributes=[_attribute("givenName", required=True), _attribute("familyName", required=True)],
            ),
            _attribute("title", description="Job title."),
            _attribute(
                "preferredLanguage",
                description="The person's language (a BCP 47 tag); a language the site does not have is ignored.",
            ),
            _attribute("active", "boolean", description="False for a leaver: their training is archived."),
            _attribute(
                "emails",
                "complex",
                multiValued=True,
                subAttributes=[_attribute("value"), _attribute("type"), _attribute("primary", "boolean")],
            ),
        ],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{CORE}"},
    }
    enterprise_schema = {
        "schemas": [SCHEMA],
        "id": ENTERPRISE,
        "name": "EnterpriseUser",
        "description": "Employee number, department and manager.",
        "attributes": [
            _attribute("employeeNumber", uniqueness="server"),
            _attribute("department"),
            _attribute("manager", "complex", subAttributes=[_attribute("value"), _attribute("displayName")]),
        ],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{ENTERPRISE}"},
    }
    return [user_schema, enterprise_schema]


def resource_types(base_url: str) -> list[dict]:
    return [
        {
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People",
            "schema": CORE,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/User"},
        }
    ]
