# The simulator's image: the Streamlit app, the CLI and chromadb's server (compose.yaml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SIM_DATA_DIR=/data \
    XDG_CACHE_HOME=/home/sim/.cache \
    ANONYMIZED_TELEMETRY=False

RUN useradd --create-home --uid 10001 sim \
    && mkdir -p /app /data /chroma \
    && chown sim:sim /app /data /chroma
WORKDIR /app

# Dependencies first, from the pinned lock, so a code change rebuilds only the layers below.
COPY requirements.lock pyproject.toml ./
RUN pip install -r requirements.lock

COPY --chown=sim:sim . .
USER sim
# Train the local model's topic model once into the image's cache (the fallback when the real
# model's reply does not fit), so no replica spends its first interview on it; the throwaway
# local index built alongside is removed.
RUN SIM_DATA_DIR=/tmp/build python -m simulator index build && rm -rf /tmp/build

EXPOSE 8501
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
