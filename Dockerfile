# The API image of the production-shaped deployment (docker-compose.yml). Its default command
# is the one README.md documents for running the API.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CLUSTER_DATA_DIR=/var/lib/pilothouse \
    CLUSTER_API_BIND=0.0.0.0:6443

WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY cluster ./cluster
COPY nodeagent ./nodeagent
RUN pip install --no-cache-dir . && mkdir -p /var/lib/pilothouse

EXPOSE 6443
CMD ["python", "manage.py", "runapi"]
