from teams_obs.cli import main

main()
