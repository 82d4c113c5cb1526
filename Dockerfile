# The hub's image: one image, three roles (web, worker, beat) chosen by the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --create-home hub && mkdir -p var && chown -R hub var
USER hub

EXPOSE 8000
# As the Procfile: threaded workers (WEB_CONCURRENCY processes, 2 by default, 4 threads each), so a
# slow client holds one thread rather than a whole process. Put a buffering proxy in front (README).
ENV WEB_CONCURRENCY=2
CMD ["gunicorn", "hub.wsgi", "--bind", "0.0.0.0:8000", "--threads", "4", "--access-logfile", "-", "--no-control-socket"]
