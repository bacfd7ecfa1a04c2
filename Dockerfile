FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streams streams
COPY models models
COPY alerts alerts
RUN pip install --no-cache-dir . && useradd --create-home churnwatch
USER churnwatch
CMD ["churnwatch", "worker"]
