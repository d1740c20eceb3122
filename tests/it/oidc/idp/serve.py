"""The OIDC tests' provider: django-oidc-provider in a small Django project.

    serve.py run WORKDIR CONFIG.json   migrate a fresh SQLite file, make an RSA key, the client
                                       and the users (in Django groups), serve on 127.0.0.1:0
                                       and print the port
    serve.py groups WORKDIR USER [GROUP...]   put USER in exactly these groups (while it runs)

CONFIG: {"client_id", "client_secret", "redirect_uris": [...],
         "users": [{"username", "password", "email", "groups": [...]}]}
"""
import io
import json
import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def setup(workdir):
    os.environ["IDP_DB"] = os.path.join(workdir, "idp.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "idp_settings"
    import django

    django.setup()


def set_groups(username, names):
    from django.contrib.auth.models import Group, User

    user = User.objects.get(username=username)
    user.groups.set([Group.objects.get_or_create(name=n)[0] for n in names])


def run(workdir, config):
    setup(workdir)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oidc_provider.models import Client, ResponseType

    call_command("migrate", verbosity=0, interactive=False, stdout=io.StringIO())
    call_command("creatersakey", stdout=io.StringIO())
    client = Client.objects.create(
        name="berth",
        client_type="confidential",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        jwt_alg="RS256",
        require_consent=False,
        reuse_consent=True,
    )
    client.redirect_uris = config["redirect_uris"]
    client.save()
    code, _ = ResponseType.objects.get_or_create(value="code", defaults={"description": "code"})
    client.response_types.add(code)
    for u in config["users"]:
        User.objects.create_user(u["username"], u.get("email", ""), u["password"])
        set_groups(u["username"], u.get("groups", []))

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server("127.0.0.1", 0, get_wsgi_application(), Server, Quiet)
    settings.SITE_URL = "http://127.0.0.1:%d" % httpd.server_address[1]
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


def main():
    cmd, workdir = sys.argv[1], sys.argv[2]
    if cmd == "run":
        with open(sys.argv[3]) as f:
            run(workdir, json.load(f))
    elif cmd == "groups":
        setup(workdir)
        set_groups(sys.argv[3], sys.argv[4:])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
