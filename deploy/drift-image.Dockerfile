# The drift job's Lambda image (Evidently and pandas exceed the 250 MB zip limit).
# `make package` writes its build context; build and push it where Docker runs:
#   docker build --platform linux/amd64 -t <account>.dkr.ecr.<region>.amazonaws.com/observability-drift build/package/drift-image
#   docker push <that tag>, then `observability deploy ... --drift-image <that tag>`
FROM public.ecr.aws/lambda/python:3.12

# The package with the drift extra (Evidently 0.7, pandas<3) and the service extra
# (Athena queries); the wheel is the one `make package` built, so code and image agree.
COPY observability-*.whl /tmp/wheel/
RUN pip install --no-cache-dir "$(ls /tmp/wheel/observability-*.whl)[drift,service]" \
    && rm -rf /tmp/wheel

COPY handler.py ${LAMBDA_TASK_ROOT}/handler.py
# The models this image runs drift for: the file given to `make package MODELS=...`.
COPY models.yaml ${LAMBDA_TASK_ROOT}/models.yaml
ENV OBSERVABILITY_MODELS_CONFIG=/var/task/models.yaml

CMD ["handler.handler"]
