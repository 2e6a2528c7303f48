"""Meeting services where they are: web framework middlewares and a Lambda decorator.

`asgi.RequestLogMiddleware` (Starlette, FastAPI), `wsgi.RequestLogMiddleware` (Flask,
any WSGI app) and `aws_lambda.inject_lambda_context`. None imports a framework: each
speaks the server interface (ASGI, WSGI, the Lambda handler signature) directly.
"""
