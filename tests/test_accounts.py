"""Accounts, tokens, roles and institutions through the HTTP API and the CLI."""

import subprocess
import sys
from datetime import timedelta

import pytest

from app.accounts import find_account, issue_token

from .conftest import BASE, create_user, login, register


def test_register_login_and_me(writable_client):
    c = writable_client
    created = register(c, "anna", display_name="Anna de Vries", email="anna@example.org")
    assert created["display_name"] == "Anna de Vries" and created["roles"] == ["visitor"]
    assert created["id"].startswith(BASE + "id/user/") and "email" not in created
    token = c.post("/auth/token", data={"username": "Anna", "password": "correct horse battery",
                                        "grant_type": "password"}).json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0
    me = c.get("/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "anna" and me.json()["id"] == created["id"]


def test_username_is_unique_case_insensitively(writable_client):
    register(writable_client, "bert")
    r = writable_client.post("/auth/register", json={"username": "BERT", "password": "another good one",
                                                     "display_name": "Bert 2"})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("username", "password", "fragment"), [
    ("ab", "correct horse battery", "username"),
    ("bad name!", "correct horse battery", "username"),
    ("carla", "short", "at least 10"),
    ("carla", "aaaaaaaaaaaaaa", "different characters"),
    ("carla", "carla-password-1", "username"),
])
def test_bad_registrations_are_refused_and_nothing_is_stored(writable_client, username, password, fragment):
    r = writable_client.post("/auth/register", json={"username": username, "password": password,
                                                     "display_name": "C"})
    assert r.status_code == 422 and fragment in r.json()["detail"]
    assert find_account(writable_client.app.state.store, "carla") is None


def test_wrong_password_and_unknown_user_look_the_same(writable_client):
    register(writable_client, "dirk")
    for username, password in (("dirk", "wrong password here"), ("nobody", "correct horse battery")):
        r = writable_client.post("/auth/token", data={"username": username, "password": password})
        assert r.status_code == 401 and r.json()["detail"] == "Wrong username or password"
        assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic ZGlyazp4", "Bearer ", "Bearer " + "x" * 300])
def test_bad_tokens_are_401_problems(writable_client, header):
    r = writable_client.get("/me", headers={"Authorization": header})
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_no_token_is_401(client):
    assert client.get("/me").status_code == 401


def test_revoked_and_expired_tokens_stop_working(writable_client):
    c = writable_client
    register(c, "eva")
    headers = login(c, "eva")
    other = login(c, "eva")
    assert c.post("/auth/revoke", headers=headers).status_code == 204
    assert c.get("/me", headers=headers).status_code == 401
    assert c.get("/me", headers=other).status_code == 200  # only that token was revoked
    assert c.post("/auth/revoke", params={"all": "true"}, headers=other).status_code == 204
    assert c.get("/me", headers=other).status_code == 401
    store, secret = c.app.state.store, c.app.state.settings.secret_key
    expired, _ = issue_token(store, secret, find_account(store, "eva"), timedelta(seconds=-1))
    assert c.get("/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_admin_creates_institution_and_curator_manages_staff(writable_client):
    c = writable_client
    admin = create_user(c, "root-admin", role="admin")
    visitor = create_user(c, "vera")
    register(c, "frits")
    register(c, "gerda")
    r = c.post("/institutions", json={"name": "Fries Museum"}, headers=visitor)
    assert r.status_code == 403
    r = c.post("/institutions", json={"name": "Fries Museum"}, headers=admin)
    assert r.status_code == 201 and r.json()["id"] == BASE + "id/institution/fries-museum"
    assert c.put("/institutions/fries-museum/members/frits", json={"role": "curator"},
                 headers=visitor).status_code == 403
    assert c.put("/institutions/fries-museum/members/frits", json={"role": "curator"},
                 headers=admin).status_code == 204
    curator = login(c, "frits")
    assert c.get("/me", headers=curator).json()["curator_of"] == [BASE + "id/institution/fries-museum"]
    assert c.put("/institutions/fries-museum/members/gerda", json={"role": "staff"},
                 headers=curator).status_code == 204
    staff = login(c, "gerda")
    assert c.get("/me", headers=staff).json()["staff_of"] == [BASE + "id/institution/fries-museum"]
    assert c.put("/institutions/fries-museum/members/vera", json={"role": "staff"}, headers=staff).status_code == 403
    assert c.delete("/institutions/fries-museum/members/gerda", headers=curator).status_code == 204
    assert c.get("/me", headers=staff).json()["staff_of"] == []
    assert c.put("/institutions/no-such/members/gerda", json={"role": "staff"}, headers=admin).status_code == 404
    assert c.put("/institutions/fries-museum/members/nobody", json={"role": "staff"},
                 headers=admin).status_code == 404


def test_institutions_are_listed_publicly_with_the_sample_ones(client):
    names = {i["name"] for i in client.get("/institutions").json()}
    assert "Rijksdienst voor het Cultureel Erfgoed" in names
    assert client.get("/institutions/rce").json()["id"] == BASE + "id/institution/rce"
    assert client.get("/institutions/unknown-one").status_code == 404


def test_credentials_never_leave_the_private_graph(writable_client):
    c = writable_client
    register(c, "hanna", email="hanna@example.org", display_name="Hanna H")
    headers = login(c, "hanna")
    token = headers["Authorization"].split()[1]
    store = c.app.state.store
    secrets = ["hanna@example.org", "$argon2", token, "correct horse battery"]
    public = [g for g in store.named_graphs() if not g.startswith("urn:pvb:private:")]
    for graph in public:
        for secret in secrets:
            hits = store.select(f'SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), '
                                f'"{secret}")) }} }}')
            assert not hits, (graph, secret)
    display = store.select('SELECT ?g WHERE { GRAPH ?g { ?s <http://xmlns.com/foaf/0.1/name> "Hanna H" } }')
    assert [str(r["g"]) for r in display] == ["urn:pvb:graph:community"]
    assert not store.select('SELECT ?s WHERE { GRAPH ?g { ?s ?p "hanna" } '
                            'FILTER(!STRSTARTS(STR(?g), "urn:pvb:private:")) }')


def test_cli_creates_and_lists_users(fresh_store):
    def pvb(*args):
        return subprocess.run([sys.executable, "-m", "app.cli", *args, "--store", str(fresh_store)],
                              capture_output=True, text=True, timeout=300)

    made = pvb("users", "create", "ines", "--password", "a strong passphrase", "--role", "curator",
               "--institution", "Drents Archief")
    assert made.returncode == 0, made.stderr
    assert pvb("users", "create", "jan", "--password", "another passphrase", "--role", "admin").returncode == 0
    assert pvb("users", "create", "ines", "--password", "a strong passphrase").returncode == 2  # taken
    assert pvb("users", "create", "kees", "--password", "x", "--role", "staff").returncode == 2
    listing = pvb("users", "list")
    assert listing.returncode == 0
    lines = {line.split("\t")[0]: line for line in listing.stdout.splitlines()}
    assert f"curator:{BASE}id/institution/drents-archief" in lines["ines"]
    assert "admin" in lines["jan"] and "kees" not in lines


def test_brute_force_logins_are_throttled_per_account(fresh_store):
    from .conftest import make_client

    with make_client(fresh_store, login_failures_per_account=3) as c:
        register(c, "lotte")
        for _ in range(3):
            assert c.post("/auth/token", data={"username": "lotte", "password": "guess guess guess"}).status_code == 401
        blocked = c.post("/auth/token", data={"username": "lotte", "password": "correct horse battery"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert blocked.headers["content-type"] == "application/problem+json"
        register(c, "mies")  # other accounts are not locked out by someone guessing lotte's password
        assert c.post("/auth/token", data={"username": "mies", "password": "correct horse battery"}).status_code == 200
