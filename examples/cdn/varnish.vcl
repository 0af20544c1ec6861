# Varnish 7 (Debian's `varnish`, 7.1) in front of the reference site's Next.js instances, as a
# CDN that isrsim can read and purge, by page or by tag (vmod_xkey, from Debian's
# `varnish-modules`). examples/stack.sh fills in the @...@ placeholders and runs varnishd with -f
# on the result.
#
# Caching is the built-in VCL's, which runs after the subroutines below whenever they do not
# return: TTL from `s-maxage`, grace from `stale-while-revalidate` (a stale object within its grace
# is delivered at once while a background fetch refreshes it), and no caching of responses
# marked private or no-store.
vcl 4.1;

import directors;
import purge;
import xkey;

# The Next.js instances, one backend each.
@BACKENDS@

sub vcl_init {
    # Users' requests go round-robin over the instances (with one instance, always to it).
    new instances = directors.round_robin();
@ADD_BACKENDS@
}

# Who may purge: this machine only.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    set req.backend_hint = instances.backend();
    # isrsim's purge: `PURGE /posts/3` with `x-isrsim-purge: hard` (drop the page) or `soft`
    # (mark it stale: it is still delivered, within its grace, while a fetch refreshes it).
    # With `x-isrsim-tag: TAG`, at any URL, the same for every page whose `xkey` response header
    # carried TAG (the site sends its tags there), answered with how many were purged.
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "PURGE is allowed from this machine only"));
        }
        if (req.http.x-isrsim-tag) {
            if (req.http.x-isrsim-purge == "soft") {
                return (synth(200, "Soft-purged " + xkey.softpurge(req.http.x-isrsim-tag)));
            }
            return (synth(200, "Purged " + xkey.purge(req.http.x-isrsim-tag)));
        }
        if (req.http.x-isrsim-purge == "soft") {
            return (hash); # to vcl_hit or vcl_miss, which soft-purge below
        }
        return (purge);
    }
    # The webhook and any other API route are the site's own business: never cached.
    if (req.url ~ "^/api/") {
        return (pass);
    }
}

sub vcl_hit {
    if (req.method == "PURGE") {
        purge.soft(0s);
        return (synth(200, "Soft-purged"));
    }
}

sub vcl_miss {
    if (req.method == "PURGE") {
        purge.soft(0s);
        return (synth(200, "Soft-purged"));
    }
}

# A purge's answer: one line of text, not Varnish's error page.
sub vcl_synth {
    if (req.method == "PURGE") {
        set resp.http.content-type = "text/plain; charset=utf-8";
        set resp.body = resp.reason + {"
"};
        return (deliver);
    }
}

# The cache status isrsim reads (its --cdn-header default takes `x-cache`):
# HIT (fresh from the cache), STALE (from the cache past its TTL, within grace, while a background
# fetch refreshes it), MISS (fetched from the instance for this request), PASS (not cacheable).
sub vcl_deliver {
    # The tags are the CDN's business, as Fastly strips Surrogate-Key: users do not get them.
    unset resp.http.xkey;
    if (obj.uncacheable) {
        set resp.http.x-cache = "PASS";
    } elsif (obj.hits > 0 && obj.ttl <= 0s) {
        set resp.http.x-cache = "STALE";
    } elsif (obj.hits > 0) {
        set resp.http.x-cache = "HIT";
    } else {
        set resp.http.x-cache = "MISS";
    }
}
