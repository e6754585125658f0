"""What an editor shows about each instruction: a short description and its flags.

Plain reference text from the Dockerfile reference (docs.docker.com), kept
short; the meaning of a file always comes from the library.
"""

from __future__ import annotations

REFERENCE = "https://docs.docker.com/reference/dockerfile/"

INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "ADD": ("ADD [--chown=<user>] [--chmod=<perms>] [--checksum=<hash>] <src>... <dest>",
            "Copy new files, directories or remote URLs (and unpack local archives) into the image."),
    "ARG": ("ARG <name>[=<default>] ...",
            "Declare a build argument. Before the first FROM it is a global (meta) ARG, usable in FROM lines; "
            "inside a stage it is visible from this line on."),
    "CMD": ('CMD ["executable", "param"...]  |  CMD command param...',
            "The default command (or default arguments to ENTRYPOINT) of a container. Only the last CMD counts."),
    "COPY": ("COPY [--from=<stage|image>] [--chown=<user>] [--chmod=<perms>] [--link] <src>... <dest>",
             "Copy files from the build context, or from another stage or image with --from."),
    "ENTRYPOINT": ('ENTRYPOINT ["executable", "param"...]',
                   "The program a container runs. Exec form receives signals; shell form runs under /bin/sh -c."),
    "ENV": ("ENV <key>=<value> ...",
            "Set environment variables, for the rest of the stage and in containers run from the image."),
    "EXPOSE": ("EXPOSE <port>[/<protocol>] ...", "Document the ports the container listens on."),
    "FROM": ("FROM [--platform=<platform>] <image> [AS <name>]",
             "Start a new build stage from a base image or an earlier stage."),
    "HEALTHCHECK": ("HEALTHCHECK [--interval=...] [--timeout=...] CMD <command>  |  HEALTHCHECK NONE",
                    "How to test that a container still works."),
    "LABEL": ("LABEL <key>=<value> ...", "Add metadata to the image."),
    "MAINTAINER": ("MAINTAINER <name>", "Deprecated: use LABEL org.opencontainers.image.authors=... instead."),
    "ONBUILD": ("ONBUILD <instruction>", "Add a trigger that runs when the image is used as the base of another build."),
    "RUN": ("RUN [--mount=...] [--network=...] [--security=...] <command>  |  RUN [\"executable\", \"param\"...]",
            "Run a command in a new layer on top of the current image."),
    "SHELL": ('SHELL ["executable", "param"...]', "Change the shell used by the shell form of RUN, CMD and ENTRYPOINT."),
    "STOPSIGNAL": ("STOPSIGNAL <signal>", "The system call signal sent to stop the container."),
    "USER": ("USER <user>[:<group>]", "The user (and group) for the rest of the stage and for containers."),
    "VOLUME": ('VOLUME ["/data"]', "Create a mount point for externally mounted volumes."),
    "WORKDIR": ("WORKDIR <path>", "Set the working directory for the following instructions, creating it if needed."),
}

# name -> (value placeholder or None for a bare flag, description)
FLAGS: dict[str, dict[str, tuple[str | None, str]]] = {
    "FROM": {"platform": ("$BUILDPLATFORM", "The platform of the base image, e.g. linux/amd64 or $BUILDPLATFORM.")},
    "COPY": {
        "from": ("", "Copy from a stage (name or index), an image or a named build context."),
        "chown": ("", "Owner (user[:group]) of the copied files."),
        "chmod": ("", "Permissions of the copied files."),
        "link": (None, "Copy into an independent layer that survives base image changes."),
        "parents": (None, "Keep the parent directories of the sources."),
        "exclude": ("", "Leave out paths matching this pattern."),
    },
    "ADD": {
        "chown": ("", "Owner (user[:group]) of the added files."),
        "chmod": ("", "Permissions of the added files."),
        "link": (None, "Add into an independent layer."),
        "checksum": ("", "Verify the checksum of a remote source."),
        "keep-git-dir": ("true", "Keep the .git directory of a Git source."),
        "exclude": ("", "Leave out paths matching this pattern."),
    },
    "RUN": {
        "mount": ("type=cache,target=", "Mount a cache, secret, ssh agent, bind or tmpfs for this command."),
        "network": ("none", "Network for this command: default, none or host."),
        "security": ("insecure", "Run in insecure mode (needs the entitlement)."),
    },
    "HEALTHCHECK": {
        "interval": ("30s", "Time between checks."),
        "timeout": ("30s", "Time a check may take."),
        "start-period": ("0s", "Grace period while the container starts."),
        "start-interval": ("5s", "Time between checks during the start period."),
        "retries": ("3", "Failures in a row before the container is unhealthy."),
    },
}


def hover_text(command: str) -> str | None:
    entry = INSTRUCTIONS.get(command.upper())
    if entry is None:
        return None
    syntax, description = entry
    return f"```dockerfile\n{syntax}\n```\n{description}\n\n[Reference]({REFERENCE}#{command.lower()})"
