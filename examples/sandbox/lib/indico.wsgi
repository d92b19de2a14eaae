# This file is used by uWSGI to run Indico (the sandbox's copy of indico/web/indico.wsgi;
# `indico setup create-symlinks` re-copies it, which changes its mtime and reloads uWSGI).
from indico.web.flask.app import make_app

application = make_app()
