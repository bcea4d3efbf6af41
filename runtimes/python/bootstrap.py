"""wsgate's Python runtime client: speaks the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) with the
standard library only (http.client), so nothing is installed into the interpreter that runs the
functions (AWS's awslambdaric builds a native extension and brings its own dependencies). What a
handler sees follows Lambda's Python runtime:
- handler "dir/module.function" (module path with '/' or '.'), the code directory first on sys.path;
- context: aws_request_id, function_name, function_version, invoked_function_arn,
  memory_limit_in_mb, log_group_name, log_stream_name, identity, client_context,
  get_remaining_time_in_millis();
- the root logger prints "[LEVEL]\tTIMESTAMP\tREQUEST_ID\tmessage" as on Lambda;
- Runtime.ImportModuleError ("Unable to import module 'm': ..."), Runtime.HandlerNotFound,
  Runtime.UserCodeSyntaxError; errors posted as {errorMessage, errorType, requestId, stackTrace}.
Works with Python 3.9 and later.
"""
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
HOST, _, PORT = API.partition(":")
TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
HANDLER = os.environ.get("_HANDLER", "")

_conn = None
_request_id = None


def _request(method, path, body=None, headers=None):
    global _conn
    for attempt in range(2):
        if _conn is None:
            _conn = http.client.HTTPConnection(HOST, int(PORT))
        try:
            _conn.request(method, path, body=body, headers=headers or {})
            res = _conn.getresponse()
            data = res.read()
            return res.status, res.headers, data
        except (http.client.HTTPException, ConnectionError, OSError):
            _conn.close()
            _conn = None
            if attempt == 1:
                raise


def _post_error(path, doc):
    body = json.dumps(doc).encode()
    _request("POST", path, body, {
        "Content-Type": "application/json",
        "Lambda-Runtime-Function-Error-Type": doc.get("errorType", "Unhandled"),
    })


def _init_error(error_type, message, tb=None):
    doc = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": tb or []}
    print(f"[ERROR] {error_type}: {message}", file=sys.stderr, flush=True)
    try:
        _post_error("/2018-06-01/runtime/init/error", doc)
    finally:
        sys.exit(129)


def _missing_module_hint(exc):
    name = getattr(exc, "name", None) or ""
    top = name.split(".")[0]
    if top in ("boto3", "botocore", "s3transfer"):
        return (" (Lambda's Python runtime includes boto3; locally, make it importable by the interpreter that runs "
                "your functions: pip install boto3 into it, choose one that has it with --runtime "
                "python3.x=/path/to/venv/bin/python, or put it on PYTHONPATH in wsgate's environment.)")
    return ""


def _load_handler():
    module_part, _, func_name = HANDLER.rpartition(".")
    if not module_part or not func_name:
        _init_error("Runtime.MalformedHandlerName", f"Bad handler '{HANDLER}': not enough values to unpack")
    module_name = module_part.replace("/", ".")
    sys.path.insert(0, TASK_ROOT)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        _init_error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}",
                    traceback.format_exception_only(type(e), e))
    except ImportError as e:
        _init_error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}{_missing_module_hint(e)}",
                    traceback.format_tb(e.__traceback__))
    except Exception as e:  # an error while the module runs its top level
        _init_error(type(e).__name__, str(e), traceback.format_tb(e.__traceback__))
    func = getattr(module, func_name, None)
    if not callable(func):
        _init_error("Runtime.HandlerNotFound", f"Handler '{func_name}' missing on module '{module_name}'")
    return func


class LambdaContext:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        cognito = headers.get("Lambda-Runtime-Cognito-Identity")
        client = headers.get("Lambda-Runtime-Client-Context")
        self.identity = json.loads(cognito) if cognito else None
        self.client_context = json.loads(client) if client else None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def main():
    global _request_id
    _setup_logging()
    handler = _load_handler()
    while True:
        status, headers, body = _request("GET", "/2018-06-01/runtime/invocation/next")
        if status != 200:
            sys.exit(0 if status == 410 else 1)
        _request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        trace = headers.get("Lambda-Runtime-Trace-Id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            event = json.loads(body) if body else None
            result = handler(event, LambdaContext(headers))
            payload = json.dumps(result).encode()
        except Exception as e:
            doc = {"errorMessage": str(e), "errorType": type(e).__name__, "requestId": _request_id,
                   "stackTrace": traceback.format_tb(e.__traceback__)}
            print(f"[ERROR] {doc['errorType']}: {doc['errorMessage']}", file=sys.stderr, flush=True)
            _post_error(f"/2018-06-01/runtime/invocation/{_request_id}/error", doc)
            continue
        _request("POST", f"/2018-06-01/runtime/invocation/{_request_id}/response", payload,
                 {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
