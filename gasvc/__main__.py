from gasvc.cli import main

main(prog_name="gas")
