from teams_obs.console import main

main()
