FROM python:3.11-slim-bookworm
# WeasyPrint needs Pango; the letter font ships in static/fonts.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal portal
COPY integration integration
COPY letters letters
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --system --uid 1000 portal && mkdir -p /data/private && chown portal /data/private
USER portal
ENV DJANGO_ENV=production
EXPOSE 8000
