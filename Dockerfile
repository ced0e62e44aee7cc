# One image for the bots and the worker; the GPU worker gets a CUDA torch build via TORCH_INDEX.
FROM python:3.11-slim
ARG TORCH_SPEC="torch==2.13.0"
ARG TORCH_INDEX="https://download.pytorch.org/whl/cu124"
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY conversations conversations
COPY engine engine
COPY storage storage
RUN pip install --no-cache-dir --extra-index-url "$TORCH_INDEX" "$TORCH_SPEC" . 
ENV HEADSHOTS_DATA_DIR=/data
VOLUME ["/data", "/models"]
ENTRYPOINT ["headshots"]
CMD ["serve"]
