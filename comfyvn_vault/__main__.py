from comfyvn_vault.cli.main import run

run()
