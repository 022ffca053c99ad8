"""Flint's Python runtime (started through bootstrap.py beside it).

Loads the handler named by _HANDLER ("module.function", the module path may contain "/") from
LAMBDA_TASK_ROOT and serves invocations over the Lambda Runtime API (2018-06-01) at
AWS_LAMBDA_RUNTIME_API, with the contract of Lambda's Python runtimes: handler(event, context),
the LambdaContext object, the root logger's `[LEVEL]\t<time>\t<requestId>\t<message>` format (or
JSON records with AWS_LAMBDA_LOG_FORMAT=JSON), and Lambda's error documents ({errorMessage, errorType, requestId, stackTrace}) and error types.
"""
import importlib
import json
import os
import sys
import time

import flint_botocore_endpoints
from flint_import_hook import after_import
import flint_runtime_api

RUNTIME_FILE = __file__  # what the frames of this module carry as their file name

_current_request_id = None


def _call(method, path, body=None, error_type=None):
    return flint_runtime_api.request(method, "/2018-06-01/runtime/" + path, body, error_type)


# ---- logging: Lambda's text format on the root logger, request id included ----
# Set up when `logging` is first imported, by the function or a library it uses, right after the
# module runs and before the importer sees it: the root logger looks as it does on Lambda, and a
# function that never logs does not carry the logging package (measured: ~1.3 MiB per process).
def _add_request_id(record):
    record.aws_request_id = _current_request_id if _current_request_id is not None else ""
    return True


def _json_log_format():
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


# LogRecord attributes that are not "extra" fields of a JSON record (Lambda's runtime client's list).
_RESERVED_FIELDS = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
))

# Lambda's Python runtimes from 3.12 on write JSON without ASCII escapes.
_json_encode = json.JSONEncoder(ensure_ascii=False).encode


def _setup_logging(logging):
    class JsonFormatter(logging.Formatter):
        """Lambda's JSON record: timestamp, level, message, logger, exception fields, requestId, location, extras."""

        def format(self, record):
            import traceback  # only once something is logged as JSON

            # Levels fold to Python's named ones (a custom level 25 logs as INFO), as Lambda's do.
            record.levelno = min(50, max(0, record.levelno)) // 10 * 10
            record.levelname = logging.getLevelName(record.levelno)
            exc = record.exc_info
            result = {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": traceback.format_tb(exc[2]) if exc else None,
                "errorType": exc[0].__name__ if exc else None,
                "errorMessage": str(exc[1]) if exc else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if exc else None,
            }
            result.update((k, v) for k, v in record.__dict__.items() if k not in _RESERVED_FIELDS and k not in result)
            return _json_encode({k: v for k, v in result.items() if v is not None}) + "\n"

    class LambdaFormatter(logging.Formatter):
        converter = time.gmtime

        def __init__(self):
            super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S")

        def format(self, record):
            return super().format(record).replace("\n", "\r").rstrip("\r") + "\n"

    class StdoutHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record))
                sys.stdout.flush()
            except Exception:
                self.handleError(record)

    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter() if _json_log_format() else LambdaFormatter())
    handler.addFilter(_add_request_id)
    root = logging.getLogger()
    root.handlers = [handler]
    # Lambda leaves the root logger at WARNING unless AWS_LAMBDA_LOG_LEVEL names a level (TRACE is
    # Python's DEBUG; FATAL is CRITICAL); an unknown name changes nothing.
    level = {"TRACE": "DEBUG"}.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper(), os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper())
    root.setLevel(level if level in logging._nameToLevel else "WARNING")


# Variables the sandbox sets only when the function does not (Flint's CA for TLS).
_SANDBOX_DEFAULTS = ("AWS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def _prepare_logging():
    after_import("logging", _setup_logging)


# ---- the context object ----
class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


class ClientContext:
    __slots__ = ["custom", "env", "client"]


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, cognito_identity):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self._deadline_ms = deadline_ms
        self.client_context = _client_context(client_context)
        self.identity = _cognito_identity(cognito_identity)

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},identity={self.identity}])"
        )


def _client_context(text):
    if not text:
        return None
    data = json.loads(text)
    ctx = ClientContext()
    ctx.custom = data.get("custom")
    ctx.env = data.get("env")
    ctx.client = None
    client = data.get("client")
    if client:
        ctx.client = Client()
        ctx.client.installation_id = client.get("installation_id")
        ctx.client.app_title = client.get("app_title")
        ctx.client.app_version_name = client.get("app_version_name")
        ctx.client.app_version_code = client.get("app_version_code")
        ctx.client.app_package_name = client.get("app_package_name")
    return ctx


def _cognito_identity(text):
    identity = CognitoIdentity()
    data = json.loads(text) if text else {}
    identity.cognito_identity_id = data.get("cognitoIdentityId")
    identity.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")
    return identity


# ---- errors ----
class FaultError(Exception):
    def __init__(self, error_type, message, stack=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def _user_stack(tb):
    """The traceback's lines without the runtime's own frames (Lambda shows only the function's)."""
    import traceback  # only on errors: a function that never fails need not carry it

    return traceback.format_list([f for f in traceback.extract_tb(tb) if f.filename != RUNTIME_FILE])


def _error_document(exc, request_id):
    if isinstance(exc, FaultError):
        return {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id, "stackTrace": exc.stack}
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _user_stack(exc.__traceback__),
    }


def _log_error(doc):
    if _json_log_format():
        # Lambda's JSON error record: the error document after a second-precision time and log_level.
        record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "log_level": "ERROR", **doc}
        sys.stdout.write(_json_encode(record) + "\n")
        sys.stdout.flush()
        return
    lines = [f"[ERROR] {doc['errorType']}: {doc['errorMessage']}"]
    if doc["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in doc["stackTrace"])
    sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")
    sys.stdout.flush()


def _post_error(path, doc):
    body = json.dumps(doc).encode()
    _call("POST", path, body, doc["errorType"])


# ---- loading the handler ----
def _load_handler():
    handler = os.environ.get("_HANDLER", "")
    try:
        module_path, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}")
    module_name = module_path.replace("/", ".")
    try:
        if module_name.startswith("."):
            raise ImportError("Relative imports are not supported")
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        where = f'  File "{e.filename}" Line {e.lineno}\n        {(e.text or "").strip()}\n'
        raise FaultError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}", [where])
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}")
    fn = getattr(module, function_name, None)
    if fn is None:
        raise FaultError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return fn


def _setup_path(opt_root):
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    # Lambda's sys.path order: the task root, then the layers' python directories under /opt.
    paths = [task_root, os.path.join(opt_root, "python", "lib", version, "site-packages"), os.path.join(opt_root, "python")]
    for p in reversed(paths):
        if p not in sys.path:
            sys.path.insert(0, p)


def _bind_function():
    """A pre-initialized start ("stem cell"): started before its function was known.

    FLINT_STEM_KEYS lists the variables Flint started the interpreter with. The function's
    environment replaces them (what the sandbox itself added, such as TMPDIR, stays, as on a cold
    start); PYTHONPATH, which the interpreter reads only at start, is applied to sys.path where the
    interpreter would have put it; the working directory becomes the task root. Returns /opt.
    """
    start_keys = set(os.environ["FLINT_STEM_KEYS"].split(","))
    status, _headers, body = flint_runtime_api.request("GET", "/2018-06-01/flint/bind")
    if status != 200:
        sys.stderr.write(f"flint runtime: GET /2018-06-01/flint/bind answered {status}: {body!r}\n")
        sys.exit(1)
    doc = json.loads(body)
    # Flint's CA variables are defaults the sandbox adds: a function's own value wins, as on a cold start.
    kept = {k: v for k, v in os.environ.items() if k not in start_keys and not (k in _SANDBOX_DEFAULTS and k in doc["env"])}
    old_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ.clear()
    os.environ.update(doc["env"])
    os.environ.update(kept)
    new_path = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    old_abs = [os.path.abspath(p) for p in old_path]
    if new_path != old_abs:
        # The interpreter put PYTHONPATH's entries right after the script's directory.
        if sys.path[1:1 + len(old_abs)] == old_abs:
            del sys.path[1:1 + len(old_abs)]
        sys.path[1:1] = new_path
    time.tzset()
    os.chdir(doc["taskRoot"])
    return doc["opt"]


def main():
    global _current_request_id
    opt_root = _bind_function() if "FLINT_STEM_KEYS" in os.environ else None
    _prepare_logging()
    flint_botocore_endpoints.install()
    # Where the layers are merged (/opt in an isolated sandbox), passed by Flint as the first argument.
    _setup_path(opt_root or (sys.argv[1] if len(sys.argv) > 1 else "/opt"))
    try:
        handler = _load_handler()
    except Exception as e:  # noqa: BLE001 - every init failure is reported, as Lambda does
        doc = _error_document(e, "")
        _log_error(doc)
        _post_error("init/error", doc)
        sys.exit(1)
    while True:
        _current_request_id = None
        status, h, body = _call("GET", "invocation/next")
        if status != 200:
            sys.stderr.write(f"flint runtime: GET /runtime/invocation/next answered {status}: {body!r}\n")
            sys.exit(1)
        request_id = h.get("lambda-runtime-aws-request-id")
        _current_request_id = request_id
        if h.get("lambda-runtime-trace-id"):
            os.environ["_X_AMZN_TRACE_ID"] = h["lambda-runtime-trace-id"]
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            event = json.loads(body) if body else None
            context = LambdaContext(
                request_id,
                int(h.get("lambda-runtime-deadline-ms", "0")),
                h.get("lambda-runtime-invoked-function-arn"),
                h.get("lambda-runtime-client-context"),
                h.get("lambda-runtime-cognito-identity"),
            )
            result = handler(event, context)
            try:
                payload = json.dumps(result).encode()
            except (TypeError, ValueError) as e:
                raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {e}")
        except Exception as e:  # noqa: BLE001
            doc = _error_document(e, request_id)
            _log_error(doc)
            _post_error(f"invocation/{request_id}/error", doc)
            continue
        _call("POST", f"invocation/{request_id}/response", payload)

