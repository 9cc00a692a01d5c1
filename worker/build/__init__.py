"""The site build in layers, each importing only those below it: the Pelican session
(session), the output tree (tree, output_check, setaside, preload, search, revisions), the
incremental and full builds (incremental, full), the build lock and switch (switch)."""
