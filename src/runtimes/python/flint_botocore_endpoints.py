"""Configured endpoints for older botocore: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.

Flint points every function's SDKs at its own API through these variables (the SDKs' "configured
endpoint URLs"). botocore reads them only since 1.31 (boto3 1.28); the boto3 a Python function
finds on many hosts is older (Debian 12's python3-boto3 is 1.26 with botocore 1.29), and would call
real AWS. When botocore.session is first imported and that botocore lacks the feature, its
Session.create_client learns it, with botocore's own precedence: an explicit endpoint_url, else
AWS_ENDPOINT_URL_<SERVICE> (the model's serviceId upper-cased, spaces as underscores), else
AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. (The config file's
`endpoint_url` settings are not added.) A newer botocore bundled by the function is left alone.
"""
import os

from flint_import_hook import after_import

_SESSION_MODULE = "botocore.session"


def _configured_endpoint(session, service_name, api_version):
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    try:
        service_id = str(session.get_service_model(service_name, api_version).service_id)
    except Exception:  # noqa: BLE001 - an unknown service fails in create_client itself, as before
        service_id = None
    if service_id:
        url = os.environ.get("AWS_ENDPOINT_URL_" + service_id.replace(" ", "_").upper())
        if url:
            return url
    return os.environ.get("AWS_ENDPOINT_URL") or None


def patch(session_module):
    """Adds configured endpoints to botocore.session.Session when its botocore has none."""
    import botocore.configprovider as provider

    if "ignore_configured_endpoint_urls" in getattr(provider, "BOTOCORE_DEFAUT_SESSION_VARIABLES", {}):
        return False
    session_class = session_module.Session
    original = session_class.create_client

    def create_client(self, service_name, *args, **kwargs):
        # endpoint_url is the sixth parameter; boto3 passes everything by keyword.
        if len(args) < 5 and kwargs.get("endpoint_url") is None:
            api_version = args[1] if len(args) > 1 else kwargs.get("api_version")
            url = _configured_endpoint(self, service_name, api_version)
            if url:
                kwargs["endpoint_url"] = url
        return original(self, service_name, *args, **kwargs)

    create_client.flint_configured_endpoints = True
    session_class.create_client = create_client
    return True


def install():
    """Patches botocore.session when it is imported (at once if it already is)."""
    after_import(_SESSION_MODULE, patch)
